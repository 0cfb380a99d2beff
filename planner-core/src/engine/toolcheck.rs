//! Whether the policy's toolset runs everywhere the plan uses it: backups,
//! moves and purges run a tool on their stores, at the version each store
//! has in that wave (its own before its upgrade, the target after).

use std::collections::{BTreeMap, BTreeSet};

use super::reason::{Hint, NoSafePlan, Reason, ReasonKind};
use crate::inventory::{Inventory, Policy, Tools, Version};
use crate::plan::{Plan, StepKind};

/// Every store and version at which the plan runs a tool, by version.
fn versions_used(plan: &Plan) -> BTreeMap<Version, BTreeSet<String>> {
    let mut upgraded: BTreeSet<&str> = BTreeSet::new();
    let mut used: BTreeMap<Version, BTreeSet<String>> = BTreeMap::new();
    let target = Version::new(plan.target_version.as_str());
    for wave in &plan.waves {
        for step in &wave.steps {
            let stores: [Option<&String>; 2] = match step.kind {
                StepKind::Backup | StepKind::Purge => [step.server.as_ref(), None],
                StepKind::MoveData | StepKind::MoveSwitch => {
                    [step.source.as_ref(), step.target.as_ref()]
                }
                StepKind::Upgrade | StepKind::PoolOut | StepKind::PoolIn => [None, None],
            };
            for store in stores.into_iter().flatten() {
                let version = if upgraded.contains(store.as_str()) {
                    target.clone()
                } else {
                    match plan.servers.get(store) {
                        Some(s) => Version::new(s.version.as_str()),
                        None => continue,
                    }
                };
                used.entry(version).or_default().insert(store.clone());
            }
        }
        upgraded.extend(
            wave.steps
                .iter()
                .filter(|s| s.kind == StepKind::Upgrade)
                .filter_map(|s| s.server.as_deref()),
        );
    }
    used
}

/// The refusal of a plan whose toolset cannot run on a version it uses:
/// each such version with its stores, and the toolsets that would run on
/// every version used.
pub(super) fn unavailable(plan: &Plan, inv: &Inventory, policy: &Policy) -> Option<NoSafePlan> {
    let used = versions_used(plan);
    let tools = policy.tools;
    let reasons: Vec<Reason> = used
        .iter()
        .filter(|(version, _)| !tools.runs_on(version))
        .map(|(version, stores)| {
            let works: Vec<Tools> = Tools::ALL
                .into_iter()
                .filter(|t| {
                    *t != tools && t.serves(&inv.profile.name) && used.keys().all(|v| t.runs_on(v))
                })
                .collect();
            Reason::new(
                ReasonKind::ToolsUnavailable {
                    tools,
                    version: version.to_string(),
                    stores: stores.iter().cloned().collect(),
                },
                vec![Hint::UseTools {
                    tools: works,
                    unstage: policy.two_stage_moves,
                }],
                None,
            )
        })
        .collect();
    (!reasons.is_empty()).then_some(NoSafePlan { reasons })
}
