//! Finds where a YAML path such as `servers[3].depends_on[0]` is in the text.
//!
//! serde gives values without positions, so problems of meaning are first
//! recorded with their YAML path, and this module maps the paths to lines and
//! columns in one pass over the parser's events. It runs only when there is
//! something to report, and only after the text deserialized, so it never sees
//! an alias bomb or a pathologically deep document.

use std::collections::{BTreeMap, BTreeSet};

use saphyr_parser::{Event, Parser};

/// A 1-based line and column.
pub type Position = (u32, u32);

enum Frame {
    Map {
        path: String,
        key: Option<String>,
        expecting_key: bool,
    },
    Seq {
        path: String,
        next: usize,
    },
}

/// The positions of the wanted paths that occur in `text`: the value's
/// position, or for a mapping key the key's own position when `key:` is asked
/// for with the `@key` suffix (`roles.mtaa@key`).
pub fn locate(text: &str, wanted: &BTreeSet<String>) -> BTreeMap<String, Position> {
    let mut found = BTreeMap::new();
    if wanted.is_empty() {
        return found;
    }
    let mut stack: Vec<Frame> = Vec::new();
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        let position = (
            u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        );
        let is_node = matches!(
            event,
            Event::Scalar(..)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
                | Event::Alias(_)
        );
        if matches!(event, Event::MappingEnd | Event::SequenceEnd) {
            stack.pop();
            continue;
        }
        if !is_node {
            continue;
        }
        // The path of this node, and whether it is a mapping key.
        let node_path = match stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { path, next }) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                Some(p)
            }
            Some(Frame::Map {
                path,
                key,
                expecting_key,
            }) => {
                if *expecting_key {
                    *expecting_key = false;
                    let name = match &event {
                        Event::Scalar(value, ..) => value.to_string(),
                        _ => String::new(),
                    };
                    let value_path = join(path, &name);
                    let key_path = format!("{value_path}@key");
                    if wanted.contains(&key_path) {
                        found.insert(key_path, position);
                    }
                    *key = Some(name);
                    None
                } else {
                    *expecting_key = true;
                    Some(join(path, key.as_deref().unwrap_or("")))
                }
            }
        };
        let Some(node_path) = node_path else {
            // A key that is itself a mapping or sequence: skip its content.
            match event {
                Event::MappingStart(..) => stack.push(Frame::Map {
                    path: "?".into(),
                    key: None,
                    expecting_key: true,
                }),
                Event::SequenceStart(..) => stack.push(Frame::Seq {
                    path: "?".into(),
                    next: 0,
                }),
                _ => {}
            }
            continue;
        };
        if wanted.contains(&node_path) {
            found.entry(node_path.clone()).or_insert(position);
        }
        match event {
            Event::MappingStart(..) => stack.push(Frame::Map {
                path: node_path,
                key: None,
                expecting_key: true,
            }),
            Event::SequenceStart(..) => stack.push(Frame::Seq {
                path: node_path,
                next: 0,
            }),
            _ => {}
        }
    }
    found
}

/// The position of the second `key` in the mapping at `mapping_path` (the
/// root is the empty path), for a key that is given twice.
pub fn repeated_key(text: &str, mapping_path: &str, key: &str) -> Option<Position> {
    let mut stack: Vec<(String, bool, Option<String>, usize)> = Vec::new();
    let mut seen = 0;
    let mut root_done = false;
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        let position = (
            u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        );
        match event {
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                continue;
            }
            Event::Scalar(..)
            | Event::MappingStart(..)
            | Event::SequenceStart(..)
            | Event::Alias(_) => {}
            _ => continue,
        }
        // (path, is_map, current key, next index); for a map `next` counts keys and values.
        let path = match stack.last_mut() {
            None if root_done => return None,
            None => {
                root_done = true;
                String::new()
            }
            Some((path, false, _, next)) => {
                let p = format!("{path}[{next}]");
                *next += 1;
                p
            }
            Some((path, true, current, next)) => {
                *next += 1;
                if *next % 2 == 1 {
                    let name = match &event {
                        Event::Scalar(v, ..) => v.to_string(),
                        _ => String::new(),
                    };
                    if path == mapping_path && name == key {
                        seen += 1;
                        if seen == 2 {
                            return Some(position);
                        }
                    }
                    *current = Some(name);
                    // Keys that are containers are walked but never match.
                    "?".to_string()
                } else {
                    join(path, current.as_deref().unwrap_or(""))
                }
            }
        };
        match event {
            Event::MappingStart(..) => stack.push((path, true, None, 0)),
            Event::SequenceStart(..) => stack.push((path, false, None, 0)),
            _ => {}
        }
    }
    None
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// The path one level up: `servers[3].name` → `servers[3]` → `servers`.
pub fn parent(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    Some(&path[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_paths() {
        let text = "format: 1\nservers:\n  - name: a\n    depends_on: [b, c]\nmailboxes:\n  - { account: x@y.z, store: a, size: 1 }\nroles:\n  mtaa: {}\n";
        let wanted: BTreeSet<String> = [
            "format",
            "servers[0].name",
            "servers[0].depends_on[1]",
            "mailboxes[0].store",
            "roles.mtaa@key",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let found = locate(text, &wanted);
        assert_eq!(found.get("format"), Some(&(1, 9)));
        assert_eq!(found.get("servers[0].name"), Some(&(3, 11)));
        assert_eq!(found.get("servers[0].depends_on[1]"), Some(&(4, 21)));
        assert_eq!(found.get("mailboxes[0].store"), Some(&(6, 30)));
        assert_eq!(found.get("roles.mtaa@key"), Some(&(8, 3)));
        assert_eq!(
            parent("servers[0].depends_on[1]"),
            Some("servers[0].depends_on")
        );
    }
}
