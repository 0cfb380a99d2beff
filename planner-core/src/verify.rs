//! The plan checker (being written).
