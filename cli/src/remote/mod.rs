//! The commands that talk to a Rota server: Run:ai's v1 shapes (`rota submit`, `rota list`, …) and
//! v2 shapes (`rota training submit`, `rota workload list`, …). Parsing only builds a request;
//! the work happens here.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use rota_api::wire::{
    Compute, EnvironmentVariable, Preview, PreviewOutcome, Project, TokenRequest,
    WorkloadCreationRequest, WorkloadSpec, WorkloadSummary,
};

pub mod bench;
pub mod bench_executor;
pub mod bench_failover;
pub mod bench_page;
mod client;
pub mod config;
pub mod distributed;
pub mod settings;
mod table;

use client::Client;

/// Text for people, JSON for scripts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables and sentences.
    #[default]
    Text,
    /// The API's objects.
    Json,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server, e.g. http://127.0.0.1:3000 (default: the last one, or ROTA_URL).
    #[arg(long)]
    url: Option<String>,
    /// User name (with --password).
    #[arg(long, requires = "password")]
    username: Option<String>,
    /// Password.
    #[arg(long, requires = "username")]
    password: Option<String>,
    /// Application id (with --app-secret).
    #[arg(long, requires = "app_secret", conflicts_with = "username")]
    app_id: Option<String>,
    /// Application secret.
    #[arg(long, requires = "app_id")]
    app_secret: Option<String>,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The workload's name (lowercase letters, digits and '-').
    name: String,
    /// Container image.
    #[arg(short, long)]
    image: String,
    /// GPU devices per pod (a fraction below 1 asks for a portion of one device).
    #[arg(short, long)]
    gpu: Option<f64>,
    /// GPU memory per pod instead of devices, e.g. 5G.
    #[arg(long)]
    gpu_memory: Option<String>,
    /// CPU cores per pod.
    #[arg(long)]
    cpu: Option<f64>,
    /// Memory per pod, e.g. 4G.
    #[arg(long)]
    memory: Option<String>,
    /// Project (default: `rota project set`).
    #[arg(short, long)]
    project: Option<String>,
    /// Command to run in the container.
    #[arg(long)]
    command: Option<String>,
    /// Seconds a pod has to stop after SIGTERM before it is killed (default 30).
    #[arg(long, value_name = "SECONDS")]
    grace_period: Option<i64>,
    /// Environment variable NAME=VALUE (repeatable).
    #[arg(short, long = "environment", value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// Node pools it may run in, in order of preference (comma-separated; default: any).
    #[arg(long, value_delimiter = ',', value_name = "POOL,…")]
    node_pools: Vec<String>,
    /// Priority class: very-low, low, medium-low, medium, medium-high, high or very-high
    /// (default: the type's: training low, workspace high).
    #[arg(long, value_name = "CLASS")]
    priority: Option<String>,
    /// preemptible or non-preemptible (default: preemptible for classes up to medium-high,
    /// non-preemptible from high).
    #[arg(long, value_name = "WORD")]
    preemptibility: Option<String>,
    /// Run:ai v1's spelling of --preemptibility preemptible (e.g. a workspace that may use idle
    /// GPUs over quota and be preempted).
    #[arg(long, conflicts_with = "preemptibility")]
    preemptible: bool,
    /// Wait until it runs (or fails), showing progress.
    #[arg(long, conflicts_with = "dry_run")]
    wait: bool,
    /// Say what would happen, without submitting.
    #[arg(long)]
    dry_run: bool,
    /// `text` or `json`.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
    /// Arguments for the command.
    #[arg(last = true)]
    args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// All projects.
    #[arg(short = 'A', long, conflicts_with = "project")]
    all: bool,
    /// Only this project (default: `rota project set`, else all).
    #[arg(short, long)]
    project: Option<String>,
    /// `text` or `json`.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

#[derive(Debug, Args)]
pub struct NameArgs {
    /// The workload's name.
    name: String,
    /// Its project (default: `rota project set`).
    #[arg(short, long)]
    project: Option<String>,
    /// `text` or `json`.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

/// `rota training …` and `rota workspace …`.
#[derive(Debug, Subcommand)]
pub enum KindCommand {
    /// Submit one.
    Submit(Box<SubmitArgs>),
    /// List them.
    List(ListArgs),
    /// Show one: resources, placement, events, why it waits.
    Describe(NameArgs),
    /// Delete one.
    Delete(NameArgs),
    /// Show what a pod wrote (`-f` follows it while it runs).
    Logs(LogsArgs),
}

/// `rota logs NAME` (v1) and `rota training logs NAME` (v2).
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The workload's name.
    name: String,
    /// Its project (default: `rota project set`).
    #[arg(short, long)]
    project: Option<String>,
    /// Keep printing what it writes while it runs.
    #[arg(short, long)]
    follow: bool,
    /// Only the last lines.
    #[arg(long)]
    tail: Option<usize>,
    /// Which pod (0, 1, …).
    #[arg(long, default_value_t = 0)]
    pod: u32,
}

pub fn logs(args: &LogsArgs) -> anyhow::Result<()> {
    let (client, stored) = connect()?;
    let id = format!(
        "{}/{}",
        project_or_default(args.project.as_ref(), &stored)?,
        args.name
    );
    client.logs(
        &id,
        args.pod,
        args.tail,
        args.follow,
        &mut std::io::stdout().lock(),
    )
}

/// `rota workload …`.
#[derive(Debug, Subcommand)]
pub enum WorkloadCommand {
    /// List workloads of every type.
    List(ListArgs),
    /// Show one.
    Describe(NameArgs),
}

/// `rota project …`.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// List projects with their quotas.
    List {
        /// `text` or `json`.
        #[arg(long, short, value_enum, default_value_t)]
        output: Format,
    },
    /// Make a project the default for later commands.
    Set {
        /// The project's name.
        name: String,
    },
}

/// `rota describe job NAME` and `rota delete job NAME` (v1).
#[derive(Debug, Subcommand)]
pub enum JobCommand {
    /// A workload.
    Job(NameArgs),
}

fn connect() -> anyhow::Result<(Client, config::Stored)> {
    let (url, token, stored) = config::session()?;
    Ok((Client::new(&url, Some(token))?, stored))
}

pub fn login(args: &LoginArgs) -> anyhow::Result<()> {
    let mut stored = config::load()?;
    let url = args
        .url
        .clone()
        .or_else(|| std::env::var("ROTA_URL").ok())
        .or(stored.url.clone())
        .context("give the server with --url (e.g. http://127.0.0.1:3000)")?;
    let req = match (
        &args.username,
        &args.password,
        &args.app_id,
        &args.app_secret,
    ) {
        (Some(u), Some(p), _, _) => TokenRequest {
            grant_type: "password".into(),
            username: Some(u.clone()),
            password: Some(p.clone()),
            ..TokenRequest::default()
        },
        (_, _, Some(id), Some(secret)) => TokenRequest {
            grant_type: "app_token".into(),
            app_id: Some(id.clone()),
            app_secret: Some(secret.clone()),
            ..TokenRequest::default()
        },
        _ => bail!("give --username and --password, or --app-id and --app-secret"),
    };
    let token = Client::new(&url, None)?.token(&req)?;
    stored.url = Some(url.clone());
    stored.token = Some(token.access_token);
    config::save(&stored)?;
    println!("Signed in to {url}.");
    Ok(())
}

fn find_project<'a>(projects: &'a [Project], name: &str) -> anyhow::Result<&'a Project> {
    projects
        .iter()
        .find(|p| p.name == name || p.id == name)
        .ok_or_else(|| {
            let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
            anyhow!(
                "project {name} does not exist; the projects are {}",
                names.join(", ")
            )
        })
}

fn project_or_default(given: Option<&String>, stored: &config::Stored) -> anyhow::Result<String> {
    given
        .cloned()
        .or(stored.project.clone())
        .context("give a project with -p PROJECT, or set a default with `rota project set PROJECT`")
}

pub fn submit(kind: &str, args: &SubmitArgs) -> anyhow::Result<()> {
    let (client, stored) = connect()?;
    let req = creation_request(&client, &stored, args)?;
    if args.dry_run {
        return dry_run(&client.preview(kind, &req)?, args);
    }
    let created = client.submit(kind, &req)?;
    finish(&client, &created, args)
}

/// What every submission says: the workload's name, project, image, command and compute.
fn creation_request(
    client: &Client,
    stored: &config::Stored,
    args: &SubmitArgs,
) -> anyhow::Result<WorkloadCreationRequest> {
    let project_name = project_or_default(args.project.as_ref(), stored)?;
    let projects = client.projects()?.projects;
    let project = find_project(&projects, &project_name)?;
    let mut environment = Vec::with_capacity(args.env.len());
    for pair in &args.env {
        let (name, value) = pair
            .split_once('=')
            .with_context(|| format!("-e {pair}: write NAME=VALUE"))?;
        environment.push(EnvironmentVariable {
            name: name.into(),
            value: value.into(),
        });
    }
    Ok(WorkloadCreationRequest {
        name: args.name.clone(),
        project_id: project.id.clone(),
        cluster_id: project.cluster_id.clone(),
        use_given_name_as_prefix: false,
        template_id: None,
        spec: WorkloadSpec {
            image: args.image.clone(),
            command: args.command.clone(),
            args: (!args.args.is_empty()).then(|| shell_words::join(&args.args)),
            environment_variables: environment,
            compute: Compute {
                gpu_devices_request: if args.gpu_memory.is_some() {
                    None
                } else {
                    Some(args.gpu.unwrap_or(0.0))
                },
                gpu_memory_request: args.gpu_memory.clone(),
                cpu_core_request: args.cpu,
                cpu_memory_request: args.memory.clone(),
                ..Compute::default()
            },
            grace_period_seconds: args.grace_period,
            node_pools: args.node_pools.clone(),
            priority_class: args.priority.clone(),
            preemptibility: if args.preemptible {
                Some(rota_api::priority::PREEMPTIBLE.to_owned())
            } else {
                args.preemptibility.clone()
            },
        },
    })
}

/// Prints what a submission would do; a workload that would wait exits with status 3.
fn dry_run(preview: &Preview, args: &SubmitArgs) -> anyhow::Result<()> {
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(preview)?),
        Format::Text => println!("{}: {}", args.name, preview.message),
    }
    if preview.outcome == PreviewOutcome::Waits {
        std::process::exit(3);
    }
    Ok(())
}

/// After a submission: waits when asked to, and says what became of it.
fn finish(client: &Client, created: &WorkloadSummary, args: &SubmitArgs) -> anyhow::Result<()> {
    if args.wait {
        let done = wait_until_running(client, created)?;
        return print_submitted(&done, args.output);
    }
    print_submitted(created, args.output)
}

fn print_submitted(w: &WorkloadSummary, output: Format) -> anyhow::Result<()> {
    match output {
        Format::Json => println!("{}", serde_json::to_string_pretty(w)?),
        Format::Text => {
            let what = w.kind.to_lowercase();
            match w.phase.as_str() {
                "Running" => println!(
                    "The {what} '{}' is running on {}.",
                    w.name,
                    w.nodes.join(", ")
                ),
                _ => println!("The {what} '{}' has been submitted successfully.", w.name),
            }
        }
    }
    Ok(())
}

fn wait_until_running(client: &Client, w: &WorkloadSummary) -> anyhow::Result<WorkloadSummary> {
    let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut last_reason = String::new();
    for i in 0usize.. {
        let now = client.get_workload(&w.id)?;
        match now.phase.as_str() {
            "Running" => {
                if tty {
                    eprint!("\r\x1b[2K");
                }
                return Ok(now);
            }
            "Failed" | "Completed" | "Deleted" => {
                bail!("{} ended as {} before it ran", w.name, now.phase)
            }
            _ => {}
        }
        let reason = now
            .phase_reason
            .clone()
            .unwrap_or_else(|| "waiting to be scheduled".into());
        if tty {
            eprint!(
                "\r\x1b[2K{} {} is {}: {reason} ({}s)",
                frames[i % frames.len()],
                w.name,
                now.phase,
                start.elapsed().as_secs()
            );
            let _ = std::io::stderr().flush();
        } else if reason != last_reason {
            eprintln!("{} is {}: {reason}", w.name, now.phase);
        }
        last_reason = reason;
        std::thread::sleep(Duration::from_millis(200));
    }
    unreachable!("the loop only ends by returning")
}

fn gpus(w: &WorkloadSummary) -> String {
    // Run:ai's column shows what the workload holds or, while it waits, what it asks for.
    format!(
        "{:.2}",
        if w.running_pods > 0 {
            w.allocated_gpus
        } else {
            w.requested_gpus
        }
    )
}

pub fn list(kind: Option<&str>, args: &ListArgs) -> anyhow::Result<()> {
    let (client, stored) = connect()?;
    let project = if args.all {
        None
    } else {
        args.project.clone().or(stored.project.clone())
    };
    let mut rows = client.list(project.as_deref())?;
    if let Some(k) = kind {
        rows.retain(|w| w.kind.eq_ignore_ascii_case(k));
    }
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        Format::Text => {
            if rows.is_empty() {
                println!("No workloads.");
                return Ok(());
            }
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|w| {
                    vec![
                        w.name.clone(),
                        w.kind.clone(),
                        w.phase.clone(),
                        w.project_name.clone(),
                        rota_api::priority::class_label(w.priority),
                        if w.preemptible { "yes" } else { "no" }.to_owned(),
                        format!("{}/{}", w.running_pods, w.requested_pods),
                        gpus(w),
                    ]
                })
                .collect();
            print!(
                "{}",
                table::render(
                    &[
                        "Workload",
                        "Type",
                        "Status",
                        "Project",
                        "Priority",
                        "Preemptible",
                        "Running/Req. Pods",
                        "GPU Alloc."
                    ],
                    &cells
                )
            );
        }
    }
    Ok(())
}

fn target(args: &NameArgs, stored: &config::Stored) -> anyhow::Result<String> {
    Ok(format!(
        "{}/{}",
        project_or_default(args.project.as_ref(), stored)?,
        args.name
    ))
}

pub fn describe(args: &NameArgs) -> anyhow::Result<()> {
    let (client, stored) = connect()?;
    let id = target(args, &stored)?;
    let w = client.get_workload(&id)?;
    let events = client.events(&id)?;
    let pods = client.pods(&id)?;
    if args.output == Format::Json {
        let both = serde_json::json!({ "workload": w, "pods": pods, "events": events });
        println!("{}", serde_json::to_string_pretty(&both)?);
        return Ok(());
    }
    println!("Name:       {}", w.name);
    match &w.distributed_framework {
        Some(f) => println!("Type:       {} ({f})", w.kind),
        None => println!("Type:       {}", w.kind),
    }
    println!("Project:    {}", w.project_name);
    println!("Status:     {}", w.phase);
    if let Some(reason) = &w.phase_reason {
        println!("Reason:     {reason}");
    }
    println!(
        "Priority:   {} ({}), {}",
        rota_api::priority::class_label(w.priority),
        w.priority,
        rota_api::priority::preemptibility_label(w.preemptible)
    );
    println!(
        "Requested:  {} pod(s), {:.2} GPUs",
        w.requested_pods, w.requested_gpus
    );
    println!(
        "Allocated:  {}/{} pods running, {:.2} GPUs",
        w.running_pods, w.requested_pods, w.allocated_gpus
    );
    println!(
        "Nodes:      {}",
        if w.nodes.is_empty() {
            "-".to_owned()
        } else {
            w.nodes.join(", ")
        }
    );
    if !w.node_pools.is_empty() {
        println!("Node pools: {}", w.node_pools.join(", "));
    }
    println!("Created:    {}", w.created_at);
    if !pods.is_empty() {
        println!("Pods:");
        let cells: Vec<Vec<String>> = pods
            .iter()
            .map(|p| {
                vec![
                    p.index.to_string(),
                    p.state.clone(),
                    p.node.clone(),
                    pod_gpus(p),
                ]
            })
            .collect();
        for line in table::render(&["Pod", "State", "Node", "GPUs"], &cells).lines() {
            println!("  {line}");
        }
    }
    println!("Events:");
    let cells: Vec<Vec<String>> = events
        .iter()
        .map(|e| vec![e.created_at.clone(), e.kind.clone(), e.message.clone()])
        .collect();
    for line in table::render(&["Time", "Event", "Message"], &cells).lines() {
        println!("  {line}");
    }
    Ok(())
}

/// The devices a pod holds: `0,1`, `3 (50%)` for a fraction, `-` for none.
fn pod_gpus(p: &rota_api::wire::WorkloadPod) -> String {
    let list: Vec<String> = p.devices.iter().map(u32::to_string).collect();
    match (list.is_empty(), p.gpu_portion) {
        (true, _) => "-".into(),
        (false, Some(share)) => format!("{} ({:.0}%)", list.join(","), share * 100.0),
        (false, None) => list.join(","),
    }
}

pub fn delete(kind: &str, args: &NameArgs) -> anyhow::Result<()> {
    let (client, stored) = connect()?;
    let id = target(args, &stored)?;
    let w = client.delete(kind, &id)?;
    match args.output {
        Format::Json => println!("{}", serde_json::to_string_pretty(&w)?),
        Format::Text => println!(
            "The {} '{}' has been deleted.",
            w.kind.to_lowercase(),
            w.name
        ),
    }
    Ok(())
}

pub fn project(cmd: &ProjectCommand) -> anyhow::Result<()> {
    match cmd {
        ProjectCommand::List { output } => {
            let (client, stored) = connect()?;
            let projects = client.projects()?.projects;
            match output {
                Format::Json => println!("{}", serde_json::to_string_pretty(&projects)?),
                Format::Text => {
                    let cells: Vec<Vec<String>> = projects
                        .iter()
                        .map(|p| {
                            let gpu = p.resources.first().map(|r| &r.gpu);
                            let mark = if stored.project.as_deref() == Some(&p.name) {
                                " (default)"
                            } else {
                                ""
                            };
                            vec![
                                format!("{}{mark}", p.name),
                                p.parent_name.clone().unwrap_or_else(|| "-".into()),
                                gpu.map_or("-".into(), |g| format!("{:.2}", g.deserved)),
                                gpu.map_or("-".into(), |g| {
                                    if g.limit < 0.0 {
                                        "none".into()
                                    } else {
                                        format!("{:.2}", g.limit)
                                    }
                                }),
                                gpu.map_or("-".into(), |g| g.over_quota_weight.to_string()),
                                format!(
                                    "{} / {}",
                                    p.preempt_min_runtime.as_deref().unwrap_or("inherited"),
                                    p.reclaim_min_runtime.as_deref().unwrap_or("inherited")
                                ),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        table::render(
                            &[
                                "Project",
                                "Department",
                                "Deserved GPUs",
                                "Limit",
                                "Over-quota weight",
                                "Min runtime (preempt / reclaim)"
                            ],
                            &cells
                        )
                    );
                }
            }
            Ok(())
        }
        ProjectCommand::Set { name } => {
            let (client, mut stored) = connect()?;
            let projects = client.projects()?.projects;
            let p = find_project(&projects, name)?;
            stored.project = Some(p.name.clone());
            config::save(&stored)?;
            println!("Project {} is now the default.", p.name);
            Ok(())
        }
    }
}
