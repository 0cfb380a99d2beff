//! Cycles in a directed graph, each named as a walk in order.
//!
//! Both the inventory's `depends_on` check and the engine's upgrade order
//! must name every cycle they refuse, the same way and in a stable order, so
//! the walk lives here once. The graph is given as successor lists by index;
//! petgraph stays an implementation detail.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// One cycle: `nodes[i]` has an edge to `nodes[i + 1]`, and the last node an
/// edge to the first; `edges[i]` is the position, in `nodes[i]`'s successor
/// list, of the edge taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cycle {
    pub nodes: Vec<usize>,
    pub edges: Vec<usize>,
}

/// Every cycle of the graph, one per strongly connected component of two or
/// more nodes: the walk from the component's smallest node along each node's
/// first successor inside the component, until a node repeats (the loop of
/// that walk). Sorted by their nodes.
pub(crate) fn find(successors: &[Vec<usize>]) -> Vec<Cycle> {
    let edge_count = successors.iter().map(Vec::len).sum();
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(successors.len(), edge_count);
    let nodes: Vec<NodeIndex> = (0..successors.len()).map(|i| graph.add_node(i)).collect();
    for (from, list) in successors.iter().enumerate() {
        for &to in list {
            graph.add_edge(nodes[from], nodes[to], ());
        }
    }
    let mut cycles = Vec::new();
    for component in tarjan_scc(&graph) {
        if component.len() < 2 {
            continue;
        }
        let mut members: Vec<usize> = component.iter().map(|n| graph[*n]).collect();
        members.sort_unstable();
        cycles.push(walk(successors, &members));
    }
    cycles.sort_by(|a, b| a.nodes.cmp(&b.nodes));
    cycles
}

/// The loop of the walk from the smallest member of a component.
fn walk(successors: &[Vec<usize>], members: &[usize]) -> Cycle {
    let mut path = vec![members[0]];
    let mut edges = Vec::new();
    let mut current = members[0];
    while let Some((k, &next)) = successors[current]
        .iter()
        .enumerate()
        .find(|(_, n)| members.binary_search(n).is_ok())
    {
        edges.push(k);
        if let Some(pos) = path.iter().position(|p| *p == next) {
            path.drain(..pos);
            edges.drain(..pos);
            break;
        }
        path.push(next);
        current = next;
    }
    Cycle { nodes: path, edges }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_component_gives_the_loop_of_its_walk() {
        // 0 → 1 → 2 → 1 and 3 ⇄ 4, 5 alone with a self edge.
        let graph = vec![vec![1], vec![2], vec![1], vec![4], vec![3], vec![5]];
        assert_eq!(
            find(&graph),
            [
                Cycle {
                    nodes: vec![1, 2],
                    edges: vec![0, 0]
                },
                Cycle {
                    nodes: vec![3, 4],
                    edges: vec![0, 0]
                },
            ]
        );
    }

    #[test]
    fn the_walk_takes_the_first_edge_inside_the_component() {
        // 0 → {3 (outside the cycle), 2}, 2 → 1, 1 → 0.
        let graph = vec![vec![3, 2], vec![0], vec![1], vec![]];
        assert_eq!(
            find(&graph),
            [Cycle {
                nodes: vec![0, 2, 1],
                edges: vec![1, 0, 0]
            }]
        );
    }

    #[test]
    fn a_graph_without_cycles_has_none() {
        assert!(find(&[vec![1], vec![2], vec![]]).is_empty());
    }
}
