//! How a pod's command line is built on this host: straight as a shell line, or inside a container
//! runtime (`podman` or `docker`) with its GPUs passed through. One place, tested, even where no
//! image can be pulled.

use rota_scheduler::GpuSlots;
use serde::Deserialize;

use crate::executor::PodStart;

/// A program with its arguments, and the environment it runs with.
pub type CommandLine = (Vec<String>, Vec<(String, String)>);

/// Where a local pod runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// A process of this host: `sh -c "command args"`; the image is recorded and shown only.
    #[default]
    Process,
    /// `podman run`, GPUs as CDI devices (`--device nvidia.com/gpu=N`).
    Podman,
    /// `docker run`, GPUs with `--gpus "device=…"`.
    Docker,
}

/// Why a pod cannot be started on this host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Without a container runtime, there is nothing to run but the command.
    #[error(
        "the workload names no command, and this cluster runs pods as plain processes (no container runtime), so the image {image} cannot be run: give a command (e.g. `rota training submit NAME -i IMAGE -- python train.py`)"
    )]
    NothingToRun {
        /// The image it names.
        image: String,
    },
    /// Its arguments are not a valid shell line.
    #[error("its arguments cannot be split into words: {0}")]
    Args(String),
}

impl Runtime {
    /// The program and arguments that run `pod`, and the environment it runs with.
    pub fn argv(self, pod: &PodStart) -> Result<CommandLine, CommandError> {
        let env = pod.environment();
        match self {
            Runtime::Process => {
                let line = pod
                    .command_line()
                    .ok_or_else(|| CommandError::NothingToRun {
                        image: pod.image.clone(),
                    })?;
                Ok((vec!["/bin/sh".into(), "-c".into(), line], env))
            }
            Runtime::Podman | Runtime::Docker => Ok((self.container(pod, &env)?, Vec::new())),
        }
    }

    fn container(
        self,
        pod: &PodStart,
        env: &[(String, String)],
    ) -> Result<Vec<String>, CommandError> {
        let program = match self {
            Runtime::Podman => "podman",
            _ => "docker",
        };
        let mut argv: Vec<String> = vec![
            program.into(),
            "run".into(),
            "--rm".into(),
            "--init".into(),
            "--name".into(),
            pod.name.clone(),
        ];
        let host_devices: Vec<u32> = match &pod.gpus {
            GpuSlots::Devices(d) => d.clone(),
            GpuSlots::Shared { device, .. } => vec![*device],
        };
        if !host_devices.is_empty() {
            match self {
                Runtime::Podman => {
                    for d in &host_devices {
                        argv.push("--device".into());
                        argv.push(format!("nvidia.com/gpu={d}"));
                    }
                }
                _ => {
                    let list: Vec<String> = host_devices.iter().map(u32::to_string).collect();
                    argv.push("--gpus".into());
                    argv.push(format!("\"device={}\"", list.join(",")));
                }
            }
        }
        // A distributed training's pods find their master at 127.0.0.1 (Local::address): they
        // share the host's network.
        if pod.rendezvous.is_some() {
            argv.push("--network".into());
            argv.push("host".into());
        }
        if pod.cpu_millicores > 0 {
            argv.push("--cpus".into());
            argv.push(format!("{}", pod.cpu_millicores as f64 / 1000.0));
        }
        if pod.memory_mib > 0 {
            argv.push("--memory".into());
            argv.push(format!("{}m", pod.memory_mib));
        }
        // Inside the container the devices passed through are numbered from 0.
        let renumbered: Vec<String> = (0..host_devices.len()).map(|i| i.to_string()).collect();
        for (k, v) in env {
            let v = if k == "CUDA_VISIBLE_DEVICES" {
                renumbered.join(",")
            } else {
                v.clone()
            };
            argv.push("--env".into());
            argv.push(format!("{k}={v}"));
        }
        if !host_devices.is_empty() {
            let list: Vec<String> = host_devices.iter().map(u32::to_string).collect();
            argv.push("--env".into());
            argv.push(format!("ROTA_HOST_GPU_DEVICES={}", list.join(",")));
        }
        let args = match pod.args.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => shell_words::split(a).map_err(|e| CommandError::Args(e.to_string()))?,
            None => Vec::new(),
        };
        match pod
            .command
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            // Run:ai's `command` replaces the image's entry point.
            Some(command) => {
                let mut line = command.to_owned();
                if !args.is_empty() {
                    line.push(' ');
                    line.push_str(&shell_words::join(&args));
                }
                argv.extend([
                    "--entrypoint".into(),
                    "/bin/sh".into(),
                    pod.image.clone(),
                    "-c".into(),
                    line,
                ]);
            }
            None => {
                argv.push(pod.image.clone());
                argv.extend(args);
            }
        }
        Ok(argv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(gpus: GpuSlots, command: Option<&str>, args: Option<&str>) -> PodStart {
        PodStart {
            name: "u-0-0".into(),
            workload: "u".into(),
            workload_name: "a1".into(),
            project: "team-a".into(),
            pod: 0,
            pod_count: 1,
            attempt: 0,
            node: "ws".into(),
            gpus,
            cpu_millicores: 1500,
            memory_mib: 2048,
            image: "pytorch/pytorch:2".into(),
            command: command.map(Into::into),
            args: args.map(Into::into),
            env: vec![("EPOCHS".into(), "3".into())],
            duration_secs: None,
            log_path: "/tmp/x.log".into(),
            rendezvous: None,
        }
    }

    fn env_of(env: &[(String, String)], k: &str) -> Option<String> {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn a_process_runs_command_and_args_as_one_shell_line_with_its_devices() {
        let p = pod(
            GpuSlots::Devices(vec![2, 3]),
            Some("python train.py"),
            Some("--epochs 3"),
        );
        let (argv, env) = Runtime::Process.argv(&p).expect("runs");
        assert_eq!(argv, ["/bin/sh", "-c", "python train.py --epochs 3"]);
        assert_eq!(env_of(&env, "CUDA_VISIBLE_DEVICES").as_deref(), Some("2,3"));
        assert_eq!(env_of(&env, "EPOCHS").as_deref(), Some("3"));
        assert_eq!(env_of(&env, "ROTA_WORKLOAD").as_deref(), Some("a1"));
        assert_eq!(env_of(&env, "ROTA_POD_COUNT").as_deref(), Some("1"));
    }

    #[test]
    fn a_fraction_names_its_shared_device_and_its_limits() {
        let p = pod(
            GpuSlots::Shared {
                device: 1,
                portion: 500,
                memory_mib: 40960,
            },
            Some("sleep 1"),
            None,
        );
        let (_, env) = Runtime::Process.argv(&p).expect("runs");
        assert_eq!(env_of(&env, "CUDA_VISIBLE_DEVICES").as_deref(), Some("1"));
        assert_eq!(env_of(&env, "ROTA_GPU_FRACTION").as_deref(), Some("0.5"));
        assert_eq!(
            env_of(&env, "ROTA_GPU_MEMORY_LIMIT_MIB").as_deref(),
            Some("40960")
        );
    }

    #[test]
    fn without_a_runtime_a_workload_without_command_is_refused_with_why() {
        let err = Runtime::Process
            .argv(&pod(GpuSlots::Devices(vec![0]), None, None))
            .unwrap_err();
        assert!(err.to_string().contains("names no command"), "{err}");
    }

    #[test]
    fn docker_passes_the_devices_and_renumbers_them_inside() {
        let p = pod(
            GpuSlots::Devices(vec![2, 3]),
            Some("python train.py"),
            Some("--epochs 3"),
        );
        let (argv, env) = Runtime::Docker.argv(&p).expect("runs");
        assert!(env.is_empty(), "the environment goes on the command line");
        let line = argv.join(" ");
        assert!(line.starts_with("docker run --rm --init --name u-0-0 --gpus \"device=2,3\" --cpus 1.5 --memory 2048m"), "{line}");
        assert!(line.contains("--env CUDA_VISIBLE_DEVICES=0,1"), "{line}");
        assert!(line.contains("--env ROTA_HOST_GPU_DEVICES=2,3"), "{line}");
        assert!(
            line.ends_with("--entrypoint /bin/sh pytorch/pytorch:2 -c python train.py --epochs 3"),
            "{line}"
        );
    }

    #[test]
    fn podman_uses_cdi_devices_and_the_images_entry_point_without_command() {
        let p = pod(GpuSlots::Devices(vec![0]), None, Some("--epochs '3 4'"));
        let (argv, _) = Runtime::Podman.argv(&p).expect("runs");
        assert_eq!(
            argv[..6],
            ["podman", "run", "--rm", "--init", "--name", "u-0-0"]
        );
        assert!(
            argv.windows(2)
                .any(|w| w == ["--device", "nvidia.com/gpu=0"])
        );
        assert_eq!(
            argv[argv.len() - 3..],
            ["pytorch/pytorch:2", "--epochs", "3 4"]
        );
    }
}
