//! The pod supervisor alone (`rota-supervise supervise-pod DIR`): what `rota-server
//! supervise-pod` runs, as a binary of this crate so that its tests have one.

fn main() {
    std::process::exit(rota_control::executor::local::supervisor::main(
        std::env::args().skip(1),
    ));
}
