//! "What it runs": a command, its arguments and environment variables, as an environment asset
//! sets them and as a workload overrides them in the wizard. The variables are typed as
//! `NAME=VALUE` lines and checked with rota-api's rule as they are typed.

use leptos::prelude::*;
use rota_api::validate;
use rota_api::wire::{EnvironmentSpec, EnvironmentVariable, WorkloadSpec};

/// What was typed in the fields.
#[derive(Debug, Clone, Copy)]
pub struct RunsText {
    pub command: RwSignal<String>,
    pub args: RwSignal<String>,
    /// `NAME=VALUE`, one a line.
    pub env: RwSignal<String>,
}

impl RunsText {
    /// Fields holding `spec`'s command, arguments and variables (empty for none).
    pub fn new(spec: Option<&EnvironmentSpec>) -> Self {
        Self {
            command: RwSignal::new(spec.and_then(|s| s.command.clone()).unwrap_or_default()),
            args: RwSignal::new(spec.and_then(|s| s.args.clone()).unwrap_or_default()),
            env: RwSignal::new(
                spec.map(|s| lines(&s.environment_variables))
                    .unwrap_or_default(),
            ),
        }
    }

    /// The command typed, if any.
    pub fn command(&self) -> Option<String> {
        text(self.command)
    }

    /// The arguments typed, if any.
    pub fn args(&self) -> Option<String> {
        text(self.args)
    }

    /// The variables typed.
    pub fn variables(&self) -> Vec<EnvironmentVariable> {
        variables(&self.env.get_untracked())
    }

    /// What is wrong with the variables, as typed.
    pub fn problem(&self) -> Option<String> {
        let vars = variables(&self.env.get());
        validate::environment_variables("variables", &vars)
            .err()
            .map(|e| {
                let line = e
                    .field
                    .trim_start_matches("variables[")
                    .split(']')
                    .next()
                    .and_then(|i| i.parse::<usize>().ok())
                    .map_or(0, |i| i + 1);
                format!("line {line}: {}", e.message)
            })
    }
}

fn text(s: RwSignal<String>) -> Option<String> {
    let v = s.get_untracked().trim().to_owned();
    (!v.is_empty()).then_some(v)
}

/// `NAME=VALUE` lines as variables; blank lines are skipped, a line without `=` is a name with
/// an empty value.
pub fn variables(text: &str) -> Vec<EnvironmentVariable> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (name, value) = l.split_once('=').unwrap_or((l, ""));
            EnvironmentVariable {
                name: name.trim().to_owned(),
                value: value.to_owned(),
            }
        })
        .collect()
}

/// Variables as `NAME=VALUE` lines.
pub fn lines(vars: &[EnvironmentVariable]) -> String {
    vars.iter()
        .map(|v| format!("{}={}", v.name, v.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A command line in words; no command runs the image's entry point.
fn line(command: Option<&str>, args: Option<&str>) -> String {
    match (command, args) {
        (Some(c), Some(a)) => format!("{c} {a}"),
        (Some(c), None) => c.to_owned(),
        (None, Some(a)) => format!("the image's entry point with {a}"),
        (None, None) => "the image's entry point".to_owned(),
    }
}

/// What a workload runs, as a command line.
pub fn command_line(spec: &WorkloadSpec) -> String {
    line(spec.command.as_deref(), spec.args.as_deref())
}

/// What an environment runs, in a few words: its command line and how many variables it sets.
pub fn runs_words(spec: &EnvironmentSpec) -> String {
    let line = line(spec.command.as_deref(), spec.args.as_deref());
    match spec.environment_variables.len() {
        0 => line,
        1 => format!("{line} · 1 variable"),
        n => format!("{line} · {n} variables"),
    }
}

/// The three fields. `inherited` (in the wizard: the chosen environment) shows, as placeholders,
/// what runs when a field is left empty.
#[component]
pub fn RunsFields(
    runs: RunsText,
    #[prop(optional, into)] inherited: Option<Signal<Option<EnvironmentSpec>>>,
) -> impl IntoView {
    let from = move |pick: fn(&EnvironmentSpec) -> Option<String>, example: &'static str| {
        move || {
            inherited
                .and_then(|i| i.get())
                .and_then(|e| pick(&e))
                .map_or_else(
                    || example.to_owned(),
                    |v| format!("{v} (from the environment)"),
                )
        }
    };
    let command_placeholder = from(|e| e.command.clone(), "python train.py");
    let args_placeholder = from(|e| e.args.clone(), "--epochs 3");
    let env_placeholder = from(
        |e| (!e.environment_variables.is_empty()).then(|| lines(&e.environment_variables)),
        "EPOCHS=3",
    );
    let problem = Memo::new(move |_| runs.problem());
    view! {
        <div class="form-grid">
            <label>
                "Command"
                <input type="text" name="command" autocomplete="off" placeholder=command_placeholder
                    prop:value=move || runs.command.get()
                    on:input=move |ev| runs.command.set(event_target_value(&ev)) />
            </label>
            <label>
                "Arguments"
                <input type="text" name="args" autocomplete="off" placeholder=args_placeholder
                    prop:value=move || runs.args.get()
                    on:input=move |ev| runs.args.set(event_target_value(&ev)) />
            </label>
            <label>
                "Environment variables (NAME=VALUE, one a line)"
                <textarea name="env" rows="3" placeholder=env_placeholder
                    prop:value=move || runs.env.get()
                    on:input=move |ev| runs.env.set(event_target_value(&ev))></textarea>
            </label>
            <p class="error field-error">{move || problem.get()}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_variables_round_trip() {
        let vars = variables("A=1\n\n  B = x=y \nC");
        assert_eq!(
            vars.iter()
                .map(|v| (v.name.as_str(), v.value.as_str()))
                .collect::<Vec<_>>(),
            vec![("A", "1"), ("B", " x=y"), ("C", "")]
        );
        assert_eq!(variables(&lines(&vars)), vars);
    }
}
