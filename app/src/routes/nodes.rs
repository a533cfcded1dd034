//! Nodes: each node's GPUs and which workload holds each device (a fraction as its part of the
//! device), following the cluster live.

use leptos::prelude::*;
use rota_api::wire::NodeInfo;

use crate::live::use_changes;
use crate::server_fns::cluster::list_nodes;

/// The Nodes page.
#[component]
pub fn NodesPage() -> impl IntoView {
    let changes = use_changes();
    let nodes = Resource::new(move || changes.get(), |_| list_nodes());
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Nodes"</h1>
            </div>
            <Transition fallback=|| view! { <p class="empty">"Loading nodes…"</p> }>
                {move || {
                    nodes
                        .get()
                        .inspect(|_| changes.shown())
                        .map(|result| match result {
                            Ok(nodes) => {
                                view! {
                                    <div class="nodes">
                                        {nodes.into_iter().map(|n| view! { <NodeCard node=n /> }).collect_view()}
                                    </div>
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn NodeCard(node: NodeInfo) -> impl IntoView {
    let free = node.devices.iter().filter(|d| d.holders.is_empty()).count();
    view! {
        <article class="node" data-node=node.name.clone()>
            <h2>{node.name.clone()}</h2>
            <p class="muted">
                {format!(
                    "pool {} · {} GPUs of {} MiB · {} free",
                    node.node_pool,
                    node.gpus,
                    node.gpu_memory_mib,
                    free,
                )}
            </p>
            <ol class="devices">
                {node
                    .devices
                    .into_iter()
                    .map(|d| {
                        let label = if d.holders.is_empty() {
                            format!("GPU {}: free", d.index)
                        } else {
                            format!(
                                "GPU {}: {}",
                                d.index,
                                d.holders
                                    .iter()
                                    .map(|(w, part)| {
                                        if *part >= 1000 {
                                            w.clone()
                                        } else {
                                            format!("{w} ({:.0}%)", f64::from(*part) / 10.0)
                                        }
                                    })
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        };
                        view! {
                            <li class="device" data-device=d.index aria-label=label.clone() title=label>
                                <span class="index">{d.index}</span>
                                {d
                                    .holders
                                    .into_iter()
                                    .map(|(w, part)| {
                                        let holder = w.clone();
                                        view! {
                                            <span class="holder" data-holder=holder style=format!("width:{:.1}%", f64::from(part.min(1000)) / 10.0)>
                                                {w}
                                            </span>
                                        }
                                    })
                                    .collect_view()}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </article>
    }
}
