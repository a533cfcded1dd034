//! One full scheduling cycle on synthetic clusters, against the first-fit floor over the same
//! snapshot. `cargo bench -p rota-scheduler`; the headline figures (10,000 nodes) come from
//! `rota sim bench`, recorded in docs/benchmarks.md.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rota_scheduler::synthetic::{self, Shape};
use rota_scheduler::{Config, first_fit, schedule};

fn shape(nodes: u32) -> Shape {
    Shape {
        nodes,
        gpus_per_node: 8,
        projects: nodes / 10,
        departments: nodes / 100,
        running: nodes * 5,
        pending: nodes * 10,
        cpu_heavy: 0,
        seed: 1,
    }
}

fn cycle(c: &mut Criterion) {
    let config = Config::default();
    let mut group = c.benchmark_group("cycle");
    group.sample_size(10);
    for nodes in [100u32, 1_000, 10_000] {
        let snapshot = synthetic::build(shape(nodes));
        group.bench_with_input(BenchmarkId::new("schedule", nodes), &snapshot, |b, s| {
            b.iter(|| schedule(s, &config).map(|plan| plan.binds.len()))
        });
        group.bench_with_input(
            BenchmarkId::new("first_fit_floor", nodes),
            &snapshot,
            |b, s| b.iter(|| first_fit(s, &config)),
        );
    }
    group.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
