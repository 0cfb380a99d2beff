//! The renderers of the `planner` command line, as a library so that tests
//! (and other tools) can call them directly. Each renderer reads only the
//! `Plan` and returns the whole output as text.

pub mod render;
