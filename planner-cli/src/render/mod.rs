//! Renderers: one file per output format, each reading only the `Plan`.

pub mod dot;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod script;
pub mod text;
pub mod yaml;
