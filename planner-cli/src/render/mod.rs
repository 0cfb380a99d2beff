//! Renderers: one file per output format, each reading only the `Plan`.

pub mod json;
pub mod text;
