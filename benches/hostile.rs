//! Adversarial bodies at 0.5, 1 and 2 MB: the time per byte must stay flat (no quadratic
//! path). Compare the three sizes of each group; criterion's throughput column gives MB/s.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "../tests/support/hostile.rs"]
mod hostile;

fn hostile_bodies(c: &mut Criterion) {
    for (name, build) in hostile::GENERATORS {
        let mut group = c.benchmark_group(format!("hostile: {name}"));
        group.sample_size(10);
        for size in [512 * 1024, 1024 * 1024, 2 * 1024 * 1024] {
            let body = build(size);
            group.throughput(Throughput::Bytes(body.len() as u64));
            group.bench_function(BenchmarkId::from_parameter(body.len()), |b| {
                b.iter(|| aep_flow_run::parse_notifications(black_box(&body)))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, hostile_bodies);
criterion_main!(benches);
