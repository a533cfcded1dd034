//! The rules for what users type: names, images, GPU requests, quantities, quotas. Each returns a
//! [`FieldError`] naming the field and saying what would be right.

use crate::error::FieldError;

/// The most GPUs one pod may ask for: more is a typo, not a request.
pub const MAX_GPUS_PER_POD: u32 = 64;
/// The most pods one workload may have.
pub const MAX_PODS: u32 = 1024;
/// The longest name (a DNS-1123 label).
pub const MAX_NAME_LEN: usize = 63;
/// [`name`]'s rule as the OpenAPI document states it (utoipa takes only literals there; the
/// server's OpenAPI test checks every name field's pattern against this).
pub const NAME_PATTERN: &str = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// [`image`]'s rule as the OpenAPI document states it (checked likewise).
pub const IMAGE_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,511}$";

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// A name: a lowercase DNS-1123 label of at most 63 characters.
pub fn name(field: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(err(field, "is required"));
    }
    if value.len() > MAX_NAME_LEN {
        return Err(err(
            field,
            format!(
                "must be at most {MAX_NAME_LEN} characters (got {})",
                value.len()
            ),
        ));
    }
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if let Some(bad) = value.chars().find(|&c| !ok_char(c)) {
        return Err(err(
            field,
            format!("may hold only lowercase letters, digits and '-' (found {bad:?} in {value:?})"),
        ));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err(err(
            field,
            format!("must start and end with a letter or digit (got {value:?})"),
        ));
    }
    Ok(())
}

/// The longest image reference.
pub const MAX_IMAGE_LEN: usize = 512;

/// A container image reference (`registry/path:tag` or `…@sha256:…`): a letter or digit, then
/// letters, digits and `. _ - / : @ +`, at most [`MAX_IMAGE_LEN`] characters: [`IMAGE_PATTERN`].
pub fn image(field: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(err(
            field,
            "an image is required, e.g. gcr.io/run-ai-demo/quickstart",
        ));
    }
    let first_ok = value.starts_with(|c: char| c.is_ascii_alphanumeric());
    let rest_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._/:@+-".contains(c));
    if !first_ok || !rest_ok || value.len() > MAX_IMAGE_LEN {
        return Err(err(
            field,
            format!(
                "{value:?} is not an image reference: a letter or digit, then letters, digits and . _ - / : @ +, at most {MAX_IMAGE_LEN} characters"
            ),
        ));
    }
    Ok(())
}

/// What one pod asks of GPUs, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuAsk {
    /// Whole devices (0: none).
    Devices(u32),
    /// A portion of one device, in thousandths, strictly between 0 and 1000.
    Portion(u32),
    /// A memory slice of one device, in MiB.
    MemoryMib(u64),
}

/// Whole devices: a whole number from 0 to [`MAX_GPUS_PER_POD`].
pub fn gpu_devices(field: &str, value: f64) -> Result<u32, FieldError> {
    if !value.is_finite() || value < 0.0 || value.fract() != 0.0 {
        return Err(err(
            field,
            format!("must be a whole number of GPUs, 0 or more (got {value})"),
        ));
    }
    if value > f64::from(MAX_GPUS_PER_POD) {
        return Err(err(
            field,
            format!("at most {MAX_GPUS_PER_POD} GPUs per pod (got {value})"),
        ));
    }
    Ok(value as u32)
}

/// A portion of one device: strictly between 0 and 1, in thousandths.
pub fn gpu_portion(field: &str, value: f64) -> Result<u32, FieldError> {
    if !value.is_finite() || value <= 0.0 || value >= 1.0 {
        return Err(err(
            field,
            format!("a GPU portion must be between 0 and 1, exclusive (got {value})"),
        ));
    }
    let thousandths = (value * 1000.0).round();
    if !(1.0..1000.0).contains(&thousandths) {
        return Err(err(
            field,
            format!("a GPU portion must be between 0.001 and 0.999 (got {value})"),
        ));
    }
    Ok(thousandths as u32)
}

/// A memory quantity as Kubernetes writes it ("5G", "5Gi", "512Mi", "100M", "1073741824"),
/// in MiB, rounded up. Must be above zero.
pub fn memory_mib(field: &str, value: &str) -> Result<u64, FieldError> {
    let v = value.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let bad = || {
        err(
            field,
            format!("{value:?} is not a memory size; write e.g. 5G, 512Mi or 100M"),
        )
    };
    let n: f64 = number.parse().map_err(|_| bad())?;
    let bytes_per_unit: f64 = match unit {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0f64.powi(4),
        _ => return Err(bad()),
    };
    let mib = (n * bytes_per_unit / (1024.0 * 1024.0)).ceil();
    if !mib.is_finite() || mib <= 0.0 {
        return Err(err(field, format!("must be above zero (got {value:?})")));
    }
    if mib > 1024.0 * 1024.0 * 1024.0 {
        return Err(err(field, format!("{value:?} is larger than any machine")));
    }
    Ok(mib as u64)
}

/// The GPU part of a compute request: at most one of devices (with an optional portion or memory
/// per device) — Run:ai's `gpuDevicesRequest`, `gpuPortionRequest`, `gpuMemoryRequest`.
pub fn gpu_ask(
    field: &str,
    devices: Option<f64>,
    portion: Option<f64>,
    memory: Option<&str>,
) -> Result<GpuAsk, FieldError> {
    match (portion, memory) {
        (Some(_), Some(_)) => Err(err(
            field,
            "give a GPU portion or a GPU memory size, not both",
        )),
        (Some(p), None) => {
            if devices.is_some_and(|d| d != 1.0) {
                return Err(err(
                    field,
                    "a GPU portion is a share of one device; gpuDevicesRequest must be 1 or absent",
                ));
            }
            Ok(GpuAsk::Portion(gpu_portion(
                &format!("{field}.gpuPortionRequest"),
                p,
            )?))
        }
        (None, Some(m)) => {
            if devices.is_some_and(|d| d != 1.0) {
                return Err(err(
                    field,
                    "a GPU memory size is a slice of one device; gpuDevicesRequest must be 1 or absent",
                ));
            }
            Ok(GpuAsk::MemoryMib(memory_mib(
                &format!("{field}.gpuMemoryRequest"),
                m,
            )?))
        }
        (None, None) => {
            let d = devices.unwrap_or(0.0);
            if d > 0.0 && d < 1.0 {
                return Ok(GpuAsk::Portion(gpu_portion(
                    &format!("{field}.gpuDevicesRequest"),
                    d,
                )?));
            }
            Ok(GpuAsk::Devices(gpu_devices(
                &format!("{field}.gpuDevicesRequest"),
                d,
            )?))
        }
    }
}

/// CPU cores per pod: 0 or more, at most 1024; returned in millicores.
pub fn cpu_millicores(field: &str, cores: f64) -> Result<u64, FieldError> {
    if !cores.is_finite() || !(0.0..=1024.0).contains(&cores) {
        return Err(err(
            field,
            format!("must be between 0 and 1024 cores (got {cores})"),
        ));
    }
    Ok((cores * 1000.0).round() as u64)
}

/// The longest grace period a pod may ask for between SIGTERM and SIGKILL (one hour).
pub const MAX_GRACE_SECONDS: i64 = 3600;

/// A stop grace period in seconds: 0 to [`MAX_GRACE_SECONDS`].
pub fn grace_period_seconds(field: &str, seconds: i64) -> Result<u32, FieldError> {
    if !(0..=MAX_GRACE_SECONDS).contains(&seconds) {
        return Err(err(
            field,
            format!("must be between 0 and {MAX_GRACE_SECONDS} seconds (got {seconds})"),
        ));
    }
    Ok(seconds as u32)
}

/// An environment variable's name: not empty, no '=' and no NUL (a process could not get it).
pub fn env_name(field: &str, name: &str) -> Result<(), FieldError> {
    if name.is_empty() || name.contains('=') || name.contains('\0') {
        return Err(err(field, "must be a non-empty name without '='"));
    }
    Ok(())
}

/// A list of environment variables: every name valid, none given twice.
pub fn environment_variables(
    field: &str,
    vars: &[crate::wire::EnvironmentVariable],
) -> Result<(), FieldError> {
    for (i, v) in vars.iter().enumerate() {
        env_name(&format!("{field}[{i}].name"), &v.name)?;
        if vars[..i].iter().any(|w| w.name == v.name) {
            return Err(err(
                &format!("{field}[{i}].name"),
                format!("{} is given twice", v.name),
            ));
        }
    }
    Ok(())
}

/// Pods and gang minimum: 1 ≤ min ≤ pods ≤ [`MAX_PODS`].
pub fn pods(field: &str, pods: u32, min_pods: Option<u32>) -> Result<(u32, u32), FieldError> {
    if pods == 0 || pods > MAX_PODS {
        return Err(err(
            field,
            format!("must be between 1 and {MAX_PODS} pods (got {pods})"),
        ));
    }
    let min = min_pods.unwrap_or(pods);
    if min == 0 || min > pods {
        return Err(err(
            field,
            format!("the minimum must be between 1 and {pods} pods (got {min})"),
        ));
    }
    Ok((pods, min))
}

/// Node pools in order of preference: each a name, none twice. Whether they exist is the
/// store's to say.
pub fn node_pools(field: &str, pools: &[String]) -> Result<(), FieldError> {
    for (i, pool) in pools.iter().enumerate() {
        if pool.trim().is_empty() {
            return Err(err(field, format!("pool {} has no name", i + 1)));
        }
        if pools[..i].contains(pool) {
            return Err(err(field, format!("{pool} is named twice")));
        }
    }
    Ok(())
}

/// The longest minimum runtime: 30 days.
pub const MAX_MIN_RUNTIME_SECS: u64 = 30 * 86_400;

/// A minimum runtime as KAI-Scheduler writes durations ([`duration`]); at most 30 days. In
/// seconds.
pub fn min_runtime(field: &str, value: &str) -> Result<u64, FieldError> {
    duration(field, value, MAX_MIN_RUNTIME_SECS)
}

/// A duration as KAI-Scheduler writes them: hours, minutes and seconds in that order (`10m`,
/// `1h30m`, `90s`, `0s`), or a whole number of seconds; at most `max_secs`. In seconds.
pub fn duration(field: &str, value: &str, max_secs: u64) -> Result<u64, FieldError> {
    let v = value.trim();
    let bad = || {
        err(
            field,
            format!("{value:?} is not a duration; write e.g. 10m, 1h30m or 90s"),
        )
    };
    let secs = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        v.parse::<u64>().map_err(|_| bad())?
    } else {
        let mut total: u64 = 0;
        let mut number = String::new();
        // Each unit at most once, larger first.
        let mut next_units: &[(char, u64)] = &[('h', 3600), ('m', 60), ('s', 1)];
        for c in v.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let at = next_units
                .iter()
                .position(|&(u, _)| u == c)
                .ok_or_else(bad)?;
            let n: u64 = number.parse().map_err(|_| bad())?;
            total = total.saturating_add(n.saturating_mul(next_units[at].1));
            next_units = &next_units[at + 1..];
            number.clear();
        }
        if !number.is_empty() || v.is_empty() {
            return Err(bad());
        }
        total
    };
    if secs > max_secs {
        return Err(err(
            field,
            format!(
                "at most {} days, {} (got {value:?})",
                max_secs / 86_400,
                duration_text(max_secs)
            ),
        ));
    }
    Ok(secs)
}

/// The longest usage window of time-based fair share: 30 days.
pub const MAX_USAGE_WINDOW_SECS: u64 = 30 * 86_400;
/// The shortest: one hour (usage is kept in hourly buckets).
pub const MIN_USAGE_WINDOW_SECS: u64 = 3600;

/// Time-based fair share's settings as an admin writes them: `kValue` from 0 to 100,
/// `windowSize` from 1h to 720h, `halfLifePeriod` (optional) from 1m to 720h.
pub fn time_fair_share(
    k_value: f64,
    window_size: &str,
    half_life_period: Option<&str>,
) -> Result<rota_scheduler::TimeFairShare, FieldError> {
    let max_k = rota_scheduler::usage::MAX_K_VALUE;
    if !k_value.is_finite() || !(0.0..=max_k).contains(&k_value) {
        return Err(err(
            "kValue",
            format!("must be a number from 0 (off) to {max_k}, got {k_value}"),
        ));
    }
    let window_secs = duration("windowSize", window_size, MAX_USAGE_WINDOW_SECS)?;
    if window_secs < MIN_USAGE_WINDOW_SECS {
        return Err(err(
            "windowSize",
            format!("at least 1h: usage is kept by the hour (got {window_size:?})"),
        ));
    }
    let half_life_secs = match half_life_period.map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            let secs = duration("halfLifePeriod", text, MAX_USAGE_WINDOW_SECS)?;
            if secs < 60 {
                return Err(err(
                    "halfLifePeriod",
                    format!("at least 1m, or none for no decay (got {text:?})"),
                ));
            }
            Some(secs)
        }
    };
    Ok(rota_scheduler::TimeFairShare {
        k_value,
        window_secs,
        half_life_secs,
    })
}

/// A duration in seconds as [`min_runtime`] reads it back: `1h30m`, `10m`, `45s`, `0s`.
pub fn duration_text(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// A quota in GPUs: deserved ≥ 0, limit (if any) ≥ deserved, weight ≥ 0; amounts in thousandths.
pub fn quota(
    field: &str,
    deserved: f64,
    limit: Option<f64>,
    over_quota_weight: Option<i64>,
) -> Result<(i64, Option<i64>, u32), FieldError> {
    let amount = |what: &str, v: f64| -> Result<i64, FieldError> {
        if !v.is_finite() || !(0.0..=1_000_000.0).contains(&v) {
            return Err(err(
                &format!("{field}.{what}"),
                format!("must be a number of GPUs from 0 to 1000000 (got {v})"),
            ));
        }
        Ok((v * 1000.0).round() as i64)
    };
    let deserved = amount("deserved", deserved)?;
    // Run:ai writes "no limit" as -1.
    let limit = match limit {
        None => None,
        Some(-1.0) => None,
        Some(l) => Some(amount("limit", l)?),
    };
    if let Some(l) = limit
        && l < deserved
    {
        return Err(err(
            &format!("{field}.limit"),
            "must be at least the deserved quota, or -1 for no limit",
        ));
    }
    let weight = match over_quota_weight {
        None => 1,
        Some(w) if (0..=1000).contains(&w) => w as u32,
        Some(w) => {
            return Err(err(
                &format!("{field}.overQuotaWeight"),
                format!("must be from 0 to 1000 (got {w})"),
            ));
        }
    };
    Ok((deserved, limit, weight))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn minimum_runtimes_read_as_kai_writes_durations() {
        let f = |v: &str| min_runtime("reclaimMinRuntime", v);
        assert_eq!(f("10m"), Ok(600));
        assert_eq!(f("1h30m"), Ok(5400));
        assert_eq!(f("90s"), Ok(90));
        assert_eq!(f("0s"), Ok(0));
        assert_eq!(f("120"), Ok(120));
        assert_eq!(f("720h"), Ok(30 * 86_400));
        for bad in ["", "m", "10", "10x", "5m1h", "1m1m", "1.5h", "-1s"] {
            if bad == "10" {
                continue;
            }
            let e = f(bad).unwrap_err();
            assert_eq!(e.field, "reclaimMinRuntime");
            assert!(e.message.contains("not a duration"), "{bad}: {}", e.message);
        }
        assert!(f("721h").unwrap_err().message.contains("at most 30 days"));
        for secs in [0, 45, 60, 600, 5400, 3661, 86_400] {
            assert_eq!(f(&duration_text(secs)), Ok(secs), "{secs}");
        }
    }

    #[test]
    fn time_fair_share_settings_name_the_field_that_is_wrong() {
        let ok = time_fair_share(0.5, "168h", Some("12h")).unwrap();
        assert_eq!(ok.k_value, 0.5);
        assert_eq!(ok.window_secs, 7 * 86_400);
        assert_eq!(ok.half_life_secs, Some(12 * 3600));
        assert_eq!(
            time_fair_share(0.0, "1h", None).unwrap().half_life_secs,
            None
        );
        assert_eq!(
            time_fair_share(1.0, "1h", Some("")).unwrap().half_life_secs,
            None
        );
        let field = |r: Result<rota_scheduler::TimeFairShare, FieldError>| r.unwrap_err().field;
        assert_eq!(field(time_fair_share(-1.0, "1h", None)), "kValue");
        assert_eq!(field(time_fair_share(101.0, "1h", None)), "kValue");
        assert_eq!(field(time_fair_share(f64::NAN, "1h", None)), "kValue");
        assert_eq!(field(time_fair_share(1.0, "30m", None)), "windowSize");
        assert_eq!(field(time_fair_share(1.0, "721h", None)), "windowSize");
        assert_eq!(field(time_fair_share(1.0, "a week", None)), "windowSize");
        assert_eq!(
            field(time_fair_share(1.0, "1h", Some("30s"))),
            "halfLifePeriod"
        );
        assert_eq!(
            field(time_fair_share(1.0, "1h", Some("1d"))),
            "halfLifePeriod"
        );
    }

    #[test]
    fn environment_variables_need_names_given_once() {
        let var = |n: &str| crate::wire::EnvironmentVariable {
            name: n.into(),
            value: "v".into(),
        };
        let field = "spec.environmentVariables";
        assert!(environment_variables(field, &[var("A"), var("B")]).is_ok());
        let twice = environment_variables(field, &[var("A"), var("B"), var("A")]).unwrap_err();
        assert_eq!(twice.field, "spec.environmentVariables[2].name");
        assert_eq!(twice.message, "A is given twice");
        let bad = environment_variables(field, &[var("A=1")]).unwrap_err();
        assert_eq!(bad.field, "spec.environmentVariables[0].name");
    }

    #[test]
    fn names_are_lowercase_dns_labels() {
        assert!(name("name", "team-a").is_ok());
        assert!(name("name", "a1").is_ok());
        assert_eq!(name("name", "").unwrap_err().message, "is required");
        assert!(
            name("name", "Team-A")
                .unwrap_err()
                .message
                .contains("lowercase")
        );
        assert!(
            name("name", "-a")
                .unwrap_err()
                .message
                .contains("start and end")
        );
        assert!(name("name", "a_b").unwrap_err().message.contains("'_'"));
        assert!(
            name("name", &"a".repeat(64))
                .unwrap_err()
                .message
                .contains("63")
        );
    }

    #[test]
    fn gpu_requests_are_whole_devices_portions_or_memory() {
        assert_eq!(gpu_ask("c", Some(2.0), None, None), Ok(GpuAsk::Devices(2)));
        assert_eq!(gpu_ask("c", None, None, None), Ok(GpuAsk::Devices(0)));
        assert_eq!(
            gpu_ask("c", Some(0.5), None, None),
            Ok(GpuAsk::Portion(500))
        );
        assert_eq!(
            gpu_ask("c", Some(1.0), Some(0.25), None),
            Ok(GpuAsk::Portion(250))
        );
        assert_eq!(
            gpu_ask("c", None, None, Some("5G")),
            Ok(GpuAsk::MemoryMib(4769))
        );
        assert_eq!(
            gpu_ask("c", Some(1.0), None, Some("5Gi")),
            Ok(GpuAsk::MemoryMib(5120))
        );
        let e = gpu_ask("c", Some(-1.0), None, None).unwrap_err();
        assert_eq!(e.field, "c.gpuDevicesRequest");
        assert!(gpu_ask("c", Some(1.5), None, None).is_err());
        assert!(
            gpu_ask("c", Some(1000.0), None, None)
                .unwrap_err()
                .message
                .contains("at most 64")
        );
        assert!(gpu_ask("c", Some(2.0), Some(0.5), None).is_err());
        assert!(gpu_ask("c", None, Some(1.0), None).is_err());
        assert!(
            gpu_ask("c", None, None, Some("lots"))
                .unwrap_err()
                .message
                .contains("not a memory size")
        );
    }

    #[test]
    fn memory_sizes_read_like_kubernetes_quantities() {
        assert_eq!(memory_mib("m", "100M"), Ok(96));
        assert_eq!(memory_mib("m", "512Mi"), Ok(512));
        assert_eq!(memory_mib("m", "1Gi"), Ok(1024));
        assert!(memory_mib("m", "0").is_err());
        assert!(memory_mib("m", "-5G").is_err());
    }

    #[test]
    fn quotas_take_minus_one_as_no_limit_and_refuse_a_limit_below_deserved() {
        assert_eq!(quota("q", 2.0, Some(-1.0), None), Ok((2000, None, 1)));
        assert_eq!(
            quota("q", 2.0, Some(4.0), Some(3)),
            Ok((2000, Some(4000), 3))
        );
        assert_eq!(
            quota("q", 2.0, Some(1.0), None).unwrap_err().field,
            "q.limit"
        );
        assert_eq!(
            quota("q", -1.0, None, None).unwrap_err().field,
            "q.deserved"
        );
    }

    #[test]
    fn filter_terms_read_like_run_ai_and_name_what_is_wrong() {
        let t = filter_term("projectName==team-a", &["projectName", "phase"]).unwrap();
        assert_eq!(
            (t.field.as_str(), t.op, t.value.as_str()),
            ("projectName", FilterOp::Equals, "team-a")
        );
        assert_eq!(
            filter_term("phase!=Running", &["phase"]).unwrap().op,
            FilterOp::NotEquals
        );
        assert_eq!(
            filter_term("name=@a", &["name"]).unwrap().op,
            FilterOp::Contains
        );
        assert!(
            filter_term("color==red", &["phase"])
                .unwrap_err()
                .message
                .contains("cannot filter by \"color\"")
        );
        assert!(filter_term("phase", &["phase"]).is_err());
    }

    proptest! {
        #[test]
        fn every_accepted_name_is_a_dns_label(s in "[a-z0-9-]{0,70}|.{0,10}") {
            if name("n", &s).is_ok() {
                prop_assert!(!s.is_empty() && s.len() <= 63);
                prop_assert!(s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
                prop_assert!(!s.starts_with('-') && !s.ends_with('-'));
            }
        }
    }
}

/// How a `filterBy` term compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `==`
    Equals,
    /// `!=`
    NotEquals,
    /// `=@`
    Contains,
}

/// One `filterBy` term, Run:ai's `field==value` syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterTerm {
    /// The field.
    pub field: String,
    /// The comparison.
    pub op: FilterOp,
    /// The value.
    pub value: String,
}

/// Parses one `filterBy` term; `fields` are the ones the list supports.
pub fn filter_term(value: &str, fields: &[&str]) -> Result<FilterTerm, FieldError> {
    let ops = [
        ("==", FilterOp::Equals),
        ("!=", FilterOp::NotEquals),
        ("=@", FilterOp::Contains),
    ];
    let found = ops
        .iter()
        .filter_map(|(token, op)| value.find(token).map(|at| (at, *token, *op)))
        .min_by_key(|(at, _, _)| *at);
    let Some((at, token, op)) = found else {
        return Err(err(
            "filterBy",
            format!("{value:?} is not field==value, field!=value or field=@value"),
        ));
    };
    let field = &value[..at];
    if !fields.contains(&field) {
        return Err(err(
            "filterBy",
            format!(
                "cannot filter by {field:?}; use one of {}",
                fields.join(", ")
            ),
        ));
    }
    Ok(FilterTerm {
        field: field.to_owned(),
        op,
        value: value[at + token.len()..].trim().to_owned(),
    })
}
