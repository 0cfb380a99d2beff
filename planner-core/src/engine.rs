//! The planning engine (being written).
