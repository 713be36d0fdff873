//! librdkafka settings from every place an operator puts them, in increasing order of
//! precedence: the properties file (`--kafka-config`), `HOTLINE_KAFKA_OPTIONS` (or the
//! file named by `HOTLINE_KAFKA_OPTIONS_FILE`), `HOTLINE_KAFKA_SASL_PASSWORD_FILE`, and
//! `--kafka-option`. Values of secret settings are registered with the log scrubber;
//! no error message quotes an entry, since an entry may be (part of) a secret.

use std::path::Path;

use anyhow::{bail, Context};

use super::args::KafkaArgs;
use crate::telemetry::{is_secret_key, register_secret};

/// One `key=value` entry; the error says where it is but never what it holds.
/// librdkafka settings the service owns, and why: a passed-through value would break
/// what it promises.
const MANAGED: &[(&str, &str)] = &[
    ("bootstrap.servers", "use --brokers"),
    ("group.id", "use --group"),
    ("group.instance.id", "use --group-instance-id"),
    (
        "enable.auto.commit",
        "offsets are committed only once their changes are durable",
    ),
    (
        "enable.auto.offset.store",
        "offsets are committed only once their changes are durable",
    ),
    ("enable.idempotence", "changelog writes must be idempotent"),
    (
        "acks",
        "changelog writes must be acknowledged by every in-sync replica",
    ),
];

/// Refuses a setting the service owns.
fn managed(key: &str, place: &dyn Fn() -> String) -> anyhow::Result<()> {
    match MANAGED.iter().find(|(m, _)| *m == key) {
        Some((_, why)) => bail!("{}: {key} is set by hotline-pulse ({why})", place()),
        None => Ok(()),
    }
}

fn entry(kv: &str, place: &dyn Fn() -> String) -> anyhow::Result<(String, String)> {
    let Some((k, v)) = kv.split_once('=') else {
        bail!(
            "{}: expected key=value (the entry is not shown: it may hold a secret)",
            place()
        );
    };
    let k = k.trim();
    if k.is_empty() {
        bail!("{}: empty key", place());
    }
    managed(k, place)?;
    Ok((k.to_owned(), v.to_owned()))
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Splits `HOTLINE_KAFKA_OPTIONS`: entries are separated by newlines, or by a comma
/// that is followed by `key=` — so `sasl.password=pa,ss` is one entry, while
/// `a=1,b=2` is two. A value that itself contains `,word=` must come from a file.
pub fn split_env_options(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut start = 0;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if b != b',' {
                continue;
            }
            let rest = &line[i + 1..];
            if rest.split_once('=').is_some_and(|(k, _)| is_key(k.trim())) {
                out.push(&line[start..i]);
                start = i + 1;
            }
        }
        out.push(&line[start..]);
    }
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// Parses a Java-style properties file (the format of Kafka's `client.properties`:
/// `key=value`, `key: value` or `key value`, `#`/`!` comments, `\` line continuations
/// and escapes). Read as UTF-8. Errors give the line number only.
pub fn parse_properties(bytes: &[u8], source: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    java_properties::PropertiesIter::new_with_encoding(bytes, encoding_rs::UTF_8)
        .read_into(|k, v| out.push((k, v)))
        .map_err(|e| match e.line_number() {
            Some(n) => anyhow::anyhow!("{source}: line {n}: not a valid properties line"),
            None => anyhow::anyhow!("{source}: not a valid properties file"),
        })?;
    Ok(out)
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{what}: cannot read {}", path.display()))
}

/// Every librdkafka setting for `args`, `env` giving the environment (`std::env::var`
/// in the program, a map in tests).
pub fn kafka_options(
    args: &KafkaArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if let Some(path) = &args.kafka_config {
        let bytes = read(path, "--kafka-config")?;
        let place = format!("--kafka-config {}", path.display());
        for (k, v) in parse_properties(&bytes, &place)? {
            managed(&k, &|| place.clone())?;
            out.push((k, v));
        }
    }
    let (text, source) = match (
        env("HOTLINE_KAFKA_OPTIONS"),
        env("HOTLINE_KAFKA_OPTIONS_FILE"),
    ) {
        (Some(_), Some(_)) => {
            bail!("HOTLINE_KAFKA_OPTIONS and HOTLINE_KAFKA_OPTIONS_FILE are both set: use one")
        }
        (Some(t), None) => (t, "HOTLINE_KAFKA_OPTIONS".to_owned()),
        (None, Some(p)) => {
            let bytes = read(Path::new(&p), "HOTLINE_KAFKA_OPTIONS_FILE")?;
            let text = String::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("HOTLINE_KAFKA_OPTIONS_FILE {p}: not UTF-8"))?;
            (text, format!("HOTLINE_KAFKA_OPTIONS_FILE {p}"))
        }
        (None, None) => (String::new(), String::new()),
    };
    for (i, kv) in split_env_options(&text).into_iter().enumerate() {
        out.push(entry(kv.trim_start(), &|| {
            format!("{source}: entry {}", i + 1)
        })?);
    }
    if let Some(p) = env("HOTLINE_KAFKA_SASL_PASSWORD_FILE") {
        let bytes = read(Path::new(&p), "HOTLINE_KAFKA_SASL_PASSWORD_FILE")?;
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("HOTLINE_KAFKA_SASL_PASSWORD_FILE {p}: not UTF-8"))?;
        // Secret files usually end with a newline that is not part of the secret.
        let password = text.strip_suffix('\n').unwrap_or(&text);
        let password = password.strip_suffix('\r').unwrap_or(password);
        out.push(("sasl.password".to_owned(), password.to_owned()));
    }
    for (i, kv) in args.kafka_options.iter().enumerate() {
        out.push(entry(kv, &|| format!("--kafka-option #{}", i + 1))?);
    }
    for (k, v) in &out {
        if is_secret_key(k) {
            register_secret(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn args(opts: &[&str]) -> KafkaArgs {
        KafkaArgs {
            brokers: Some("b:9092".into()),
            topic: "t".into(),
            kafka_options: opts.iter().map(|s| (*s).to_owned()).collect(),
            kafka_config: None,
        }
    }

    fn env(map: HashMap<&'static str, String>) -> impl Fn(&str) -> Option<String> {
        move |k| map.get(k).cloned()
    }

    #[test]
    fn settings_the_service_owns_are_refused_where_they_are_given() {
        let err = format!(
            "{:#}",
            kafka_options(
                &args(&["linger.ms=5", "enable.auto.commit=false"]),
                &env(HashMap::new())
            )
            .unwrap_err()
        );
        assert!(
            err.contains("--kafka-option #2") && err.contains("enable.auto.commit"),
            "{err}"
        );
        let e = env(HashMap::from([(
            "HOTLINE_KAFKA_OPTIONS",
            "acks=1".to_owned(),
        )]));
        let err = format!("{:#}", kafka_options(&args(&[]), &e).unwrap_err());
        assert!(
            err.contains("HOTLINE_KAFKA_OPTIONS") && err.contains("acks"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let props = dir.path().join("client.properties");
        std::fs::write(&props, "bootstrap.servers=elsewhere:9092\n").unwrap();
        let mut a = args(&[]);
        a.kafka_config = Some(props);
        let err = format!("{:#}", kafka_options(&a, &env(HashMap::new())).unwrap_err());
        assert!(
            err.contains("--kafka-config") && err.contains("use --brokers"),
            "{err}"
        );
        assert!(kafka_options(&args(&["linger.ms=5"]), &env(HashMap::new())).is_ok());
    }

    #[test]
    fn commas_split_only_before_a_key() {
        assert_eq!(
            split_env_options("security.protocol=SASL_SSL,sasl.password=pa,ss,sasl.username=u"),
            vec![
                "security.protocol=SASL_SSL",
                "sasl.password=pa,ss",
                "sasl.username=u"
            ]
        );
        assert_eq!(split_env_options("a=1\nb=2,3\n\n"), vec!["a=1", "b=2,3"]);
        assert!(split_env_options("").is_empty());
    }

    #[test]
    fn the_password_with_a_comma_survives_and_errors_quote_nothing() {
        let e = env(HashMap::from([(
            "HOTLINE_KAFKA_OPTIONS",
            "sasl.mechanism=PLAIN,sasl.password=pa,ss".to_owned(),
        )]));
        let got = kafka_options(&args(&[]), &e).unwrap();
        assert_eq!(got[1], ("sasl.password".into(), "pa,ss".into()));
        let e = env(HashMap::from([(
            "HOTLINE_KAFKA_OPTIONS",
            "sasl.password=SeCrEt\nSeCrEt2".to_owned(),
        )]));
        let err = format!("{:#}", kafka_options(&args(&[]), &e).unwrap_err());
        assert!(err.contains("entry 2") && !err.contains("SeCrEt"), "{err}");
        let err = format!(
            "{:#}",
            kafka_options(&args(&["ok=1", "hunter2"]), &env(HashMap::new())).unwrap_err()
        );
        assert!(
            err.contains("--kafka-option #2") && !err.contains("hunter2"),
            "{err}"
        );
    }

    #[test]
    fn files_and_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let props = dir.path().join("client.properties");
        std::fs::write(
            &props,
            "# Kafka client settings\nsecurity.protocol = SASL_SSL\n! old style comment\n\
             sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule \\\n  required;\n\
             sasl.password: from-props\n",
        )
        .unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "from-file\n").unwrap();
        let opts_file = dir.path().join("opts");
        std::fs::write(&opts_file, "linger.ms=5\n").unwrap();
        let mut a = args(&["client.id=x"]);
        a.kafka_config = Some(props);
        let e = env(HashMap::from([
            ("HOTLINE_KAFKA_SASL_PASSWORD_FILE", pw.display().to_string()),
            (
                "HOTLINE_KAFKA_OPTIONS_FILE",
                opts_file.display().to_string(),
            ),
        ]));
        let got = kafka_options(&a, &e).unwrap();
        let keys: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "security.protocol",
                "sasl.jaas.config",
                "sasl.password",
                "linger.ms",
                "sasl.password",
                "client.id"
            ]
        );
        assert_eq!(got[0].1, "SASL_SSL");
        assert_eq!(
            got[1].1,
            "org.apache.kafka.common.security.plain.PlainLoginModule required;"
        );
        assert_eq!(
            got[4].1, "from-file",
            "the file's newline is not the secret's"
        );
        let both = env(HashMap::from([
            ("HOTLINE_KAFKA_OPTIONS", "a=1".to_owned()),
            ("HOTLINE_KAFKA_OPTIONS_FILE", "x".to_owned()),
        ]));
        assert!(kafka_options(&args(&[]), &both).is_err());
    }
}
