//! Cycles in a directed graph, each named in order: the one walk that both
//! inventory validation (`depends_on` cycles) and upgrade ordering (cycles
//! among the order's edges) report from, so both name a cycle the same way.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// One cycle per strongly connected component of two or more nodes, sorted.
///
/// `successors[i]` lists the nodes `i` points at, in the caller's order of
/// preference. Each cycle starts at its component's smallest node and follows,
/// from each node, the first successor inside the component until a node
/// repeats; the loop of that walk is the cycle, in order (the last node
/// points back at the first).
pub(crate) fn cycles(successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..successors.len()).map(|i| graph.add_node(i)).collect();
    for (i, next) in successors.iter().enumerate() {
        for &j in next {
            graph.add_edge(nodes[i], nodes[j], ());
        }
    }
    let mut cycles: Vec<Vec<usize>> = Vec::new();
    for component in tarjan_scc(&graph) {
        if component.len() < 2 {
            continue;
        }
        let mut members: Vec<usize> = component.iter().map(|n| graph[*n]).collect();
        members.sort_unstable();
        let mut path = vec![members[0]];
        let mut current = members[0];
        while let Some(&next) = successors[current]
            .iter()
            .find(|d| members.binary_search(d).is_ok())
        {
            if let Some(pos) = path.iter().position(|p| *p == next) {
                path.drain(..pos);
                break;
            }
            path.push(next);
            current = next;
        }
        cycles.push(path);
    }
    cycles.sort();
    cycles
}

#[cfg(test)]
mod tests {
    use super::cycles;

    #[test]
    fn each_cycle_is_named_from_its_smallest_node() {
        // 0 → 1 → 2 → 1, and 3 ↔ 4; 5 alone.
        let successors = vec![vec![1], vec![2], vec![1], vec![4], vec![3], vec![]];
        assert_eq!(cycles(&successors), vec![vec![1, 2], vec![3, 4]]);
        assert!(cycles(&[vec![1], vec![]]).is_empty());
    }
}
