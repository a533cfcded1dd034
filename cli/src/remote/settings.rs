//! `rota settings fair-share`: shows time-based fair share's settings, or changes them (admins).

use clap::{Args, Subcommand};
use rota_api::wire::FairShareSettings;

use super::connect;

/// `rota settings …`
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Time-based fair share: shows it, or changes what is given (admins).
    FairShare(FairShareArgs),
}

#[derive(Debug, Args)]
pub struct FairShareArgs {
    /// How much past usage counts, 0 (off) to 100.
    #[arg(long)]
    k_value: Option<f64>,
    /// Usage older than this is forgotten (1h to 720h, e.g. 168h).
    #[arg(long)]
    window_size: Option<String>,
    /// Usage this old counts half (e.g. 12h); `none` for no decay.
    #[arg(long)]
    half_life_period: Option<String>,
}

/// The settings in one line.
fn describe(s: &FairShareSettings) -> String {
    let half_life = s.half_life_period.as_deref().unwrap_or("none");
    if s.k_value == 0.0 {
        format!(
            "time-based fair share: off (k 0; window {}, half life {half_life})",
            s.window_size
        )
    } else {
        format!(
            "time-based fair share: k {}, window {}, half life {half_life}",
            s.k_value, s.window_size
        )
    }
}

pub fn run(cmd: &SettingsCommand) -> anyhow::Result<()> {
    let SettingsCommand::FairShare(args) = cmd;
    let (client, _) = connect()?;
    let mut settings = client.fair_share()?;
    let changing =
        args.k_value.is_some() || args.window_size.is_some() || args.half_life_period.is_some();
    if changing {
        if let Some(k) = args.k_value {
            settings.k_value = k;
        }
        if let Some(w) = &args.window_size {
            settings.window_size = w.clone();
        }
        if let Some(h) = &args.half_life_period {
            settings.half_life_period = (h != "none").then(|| h.clone());
        }
        // The server's rule, checked before asking it.
        rota_api::validate::time_fair_share(
            settings.k_value,
            &settings.window_size,
            settings.half_life_period.as_deref(),
        )
        .map_err(|e| anyhow::anyhow!("{}: {}", flag(&e.field), e.message))?;
        settings = client.set_fair_share(&settings)?;
    }
    println!("{}", describe(&settings));
    Ok(())
}

/// The flag that sets an API field.
fn flag(field: &str) -> &str {
    match field {
        "kValue" => "--k-value",
        "windowSize" => "--window-size",
        "halfLifePeriod" => "--half-life-period",
        other => other,
    }
}
