//! Command-line arguments. Every option can also be set by an environment variable
//! (`HOTLINE_*`), which is how containers configure the service.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::simulate::Profile;
use crate::telemetry::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "hotline-pulse",
    version,
    about = "Live metrics and the monthly bulletin (通报) of a 12345 hotline, from its work-order event stream"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings every command shares.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Zone of naive timestamps and of months: an offset (+08:00) or an IANA name
    /// (Asia/Shanghai).
    #[arg(
        long,
        global = true,
        env = "HOTLINE_TIMEZONE",
        default_value = "+08:00"
    )]
    pub timezone: String,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(long, global = true, env = "HOTLINE_LOG", default_value = "info")]
    pub log: String,
    /// Log lines as text or as one JSON object per line.
    #[arg(long, global = true, env = "HOTLINE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The engine's settings: for the commands that run the engine (`replay`, `serve`).
#[derive(Debug, Args, Clone)]
pub struct EngineArgs {
    /// Centre of events that carry no `center`.
    #[arg(long, env = "HOTLINE_CENTER", default_value = "12345")]
    pub center: String,
    /// Months kept: the as-of month and the ones before it.
    #[arg(long, env = "HOTLINE_RETENTION_MONTHS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub retention_months: u32,
    /// Unit registry (TOML: canonical names and aliases). `serve` with the simulator
    /// uses the simulator's own registry without it.
    #[arg(long, env = "HOTLINE_UNIT_REGISTRY")]
    pub unit_registry: Option<PathBuf>,
    /// Most distinct unit labels; later units are counted under 其他单位.
    #[arg(long, env = "HOTLINE_UNIT_LABEL_CAP", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub unit_label_cap: u64,
    /// Assessment rules (TOML, see deploy/config/assessment.toml).
    #[arg(long, env = "HOTLINE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Events dated more than this many hours after the wall clock are rejected
    /// (`bad_timestamp`): no upstream records the future.
    #[arg(long, env = "HOTLINE_FUTURE_HORIZON_HOURS", default_value_t = 24.0)]
    pub future_horizon_hours: f64,
    /// Evicted orders leave a tombstone kept this many months, so that their late events
    /// are dropped instead of starting new orders.
    #[arg(long, env = "HOTLINE_TOMBSTONE_GRACE_MONTHS", default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=120))]
    pub tombstone_grace_months: u32,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run JSON Lines files through the engine and print each month's figures.
    Replay(ReplayArgs),
    /// Write a simulated hotline's events as JSON Lines.
    Simulate(SimulateArgs),
    /// The long-running service: consume (Kafka, or the simulated hotline) and serve HTTP.
    Serve(Box<ServeArgs>),
    /// Feed a Kafka topic from JSON Lines files or from the simulator.
    Produce(ProduceArgs),
    /// Check the configuration `serve` would run with (config, unit registry, Kafka
    /// settings; topics with --check-topics), one line per check.
    CheckConfig(Box<super::check::CheckArgs>),
    /// Print a shell completion script.
    Completions(super::completions::CompletionsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Prometheus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    /// The HTML page printed by headless Chromium (installed separately).
    Pdf,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// JSON Lines files; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output of the figures.
    #[arg(long, env = "HOTLINE_FORMAT", value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Render the monthly bulletin instead of the figures.
    #[arg(long, value_enum)]
    pub report: Option<ReportFormat>,
    /// Only this month (YYYY-MM); default: every retained month (the report: the latest).
    #[arg(long)]
    pub month: Option<String>,
    /// With --report: the weekly report of orders still open past their deadline for
    /// this ISO week (YYYY-Www) instead of a month's bulletin.
    #[arg(long, requires = "report", conflicts_with = "month")]
    pub week: Option<String>,
    /// Write the output here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// As-of time: `watermark` (the largest event time, default) or a timestamp.
    #[arg(long, env = "HOTLINE_AS_OF", default_value = "watermark")]
    pub as_of: String,
    /// Copy rejected lines here (JSON Lines: reason, line number, the line).
    #[arg(long)]
    pub dead_letter: Option<PathBuf>,
    /// Exit with status 2 when any line was rejected.
    #[arg(long)]
    pub strict: bool,
    /// Shards (threads) applying the events, by order; default: one per CPU.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub shards: Option<u64>,
}

#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Profile the mixes and units are modelled on.
    #[arg(long, env = "HOTLINE_SIM_PROFILE", value_enum, default_value_t = Profile::Golmud)]
    pub profile: Profile,
    /// Records (received events) to generate.
    #[arg(long, env = "HOTLINE_SIM_ORDERS", default_value_t = 10_000)]
    pub orders: u64,
    /// Month the records fall in (YYYY-MM); default: the current month.
    #[arg(long, env = "HOTLINE_SIM_MONTH")]
    pub month: Option<String>,
    #[arg(long, env = "HOTLINE_SIM_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Fraction of events delivered out of order (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub disorder: f64,
    /// Fraction of events delivered twice (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub duplicates: f64,
    /// Write `center` on every event.
    #[arg(long = "sim-center")]
    pub sim_center: Option<String>,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub sim: SimArgs,
    /// Output file; default standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args, Clone)]
pub struct KafkaArgs {
    /// Kafka bootstrap servers (host:port,...). Without it `serve` runs the simulated hotline.
    #[arg(long, env = "HOTLINE_BROKERS")]
    pub brokers: Option<String>,
    /// Topic of the work-order events (contract v1, keyed by order_id).
    #[arg(long, env = "HOTLINE_TOPIC", default_value = "hotline.events")]
    pub topic: String,
    /// Any librdkafka setting, `key=value`, repeatable (SASL/TLS included). Keep secrets
    /// off the command line: use --kafka-config, HOTLINE_KAFKA_OPTIONS(_FILE) or
    /// HOTLINE_KAFKA_SASL_PASSWORD_FILE.
    #[arg(long = "kafka-option", value_name = "KEY=VALUE")]
    pub kafka_options: Vec<String>,
    /// librdkafka settings from a Java-style properties file (`key=value` lines, `#`
    /// comments), as Kafka's own clients read `client.properties`.
    #[arg(long, env = "HOTLINE_KAFKA_CONFIG", value_name = "FILE")]
    pub kafka_config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub engine: EngineArgs,
    /// HTTP address for /metrics, /healthz, /readyz, the API and /report: IP:PORT,
    /// HOST:PORT, or :PORT for every interface (0.0.0.0:PORT), as node_exporter takes it.
    #[arg(long, env = "HOTLINE_LISTEN", default_value = "127.0.0.1:9898", value_parser = super::listen::parse)]
    pub listen: SocketAddr,
    /// TLS and basic auth of the HTTP server: Prometheus' web configuration file
    /// (exporter-toolkit format: tls_server_config, basic_auth_users).
    #[arg(long, env = "HOTLINE_WEB_CONFIG_FILE", value_name = "FILE")]
    pub web_config_file: Option<PathBuf>,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// Consumer group: instances in one group share the partitions.
    #[arg(long, env = "HOTLINE_GROUP", default_value = "hotline-pulse")]
    pub group: String,
    /// Dead-letter topic for rejected messages.
    #[arg(long, env = "HOTLINE_DLQ_TOPIC", default_value = "hotline.events.dlq")]
    pub dlq_topic: String,
    /// Largest dead-letter copy in bytes; larger messages are cut (original size in a
    /// header).
    #[arg(long, env = "HOTLINE_DLQ_MAX_BYTES", default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1024..=100_000_000))]
    pub dlq_max_bytes: u64,
    /// Compacted topic holding each partition's state (default: TOPIC.changelog).
    #[arg(long, env = "HOTLINE_CHANGELOG_TOPIC")]
    pub changelog_topic: Option<String>,
    /// Compacted topic of the partitions' views that every instance reads, so any
    /// instance serves the whole bulletin (default: TOPIC.views; "" turns it off).
    #[arg(long, env = "HOTLINE_VIEWS_TOPIC")]
    pub views_topic: Option<String>,
    /// Static group membership (group.instance.id), e.g. the pod name: a restarted
    /// instance gets its partitions back without a rebalance.
    #[arg(long, env = "HOTLINE_GROUP_INSTANCE_ID")]
    pub group_instance_id: Option<String>,
    /// Optional local cache of partition state: it only shortens restores (the state
    /// itself lives in the changelog topic).
    #[arg(long, env = "HOTLINE_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// A partition's changes go to the changelog, and its offset is committed once they
    /// are durable, every this many seconds...
    #[arg(long, env = "HOTLINE_COMMIT_INTERVAL_SECS", default_value_t = 1.0)]
    pub commit_interval_secs: f64,
    /// ...or after this many messages, whichever comes first.
    #[arg(long, env = "HOTLINE_COMMIT_EVENTS", default_value_t = 50_000)]
    pub commit_events: u64,
    /// /readyz is false while the consumer lag is above this many messages.
    #[arg(long, env = "HOTLINE_READY_MAX_LAG", default_value_t = 10_000)]
    pub ready_max_lag: i64,
    /// Seconds allowed for a graceful shutdown.
    #[arg(long, env = "HOTLINE_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    /// As-of time: `now` (wall clock, default with Kafka), `watermark` (default with the
    /// simulator) or a fixed timestamp.
    #[arg(long, env = "HOTLINE_AS_OF")]
    pub as_of: Option<String>,
    /// Simulated hotline (without --brokers): most events per second (0 = no limit).
    #[arg(long, env = "HOTLINE_SIM_RATE", default_value_t = 2000.0)]
    pub sim_rate: f64,
    /// Simulated hotline: how fast the month is played from its start up to now, in
    /// simulated seconds per second (86400: a day a second; 0: at once). It never runs
    /// past the wall clock, and keeps pace with it once caught up.
    #[arg(long, env = "HOTLINE_SIM_SPEED", default_value_t = 86_400.0)]
    pub sim_speed: f64,
    #[command(flatten)]
    pub sim: SimArgs,
}

#[derive(Debug, Args)]
pub struct ProduceArgs {
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// JSON Lines files to send (`-` for standard input); or use --simulate.
    pub files: Vec<PathBuf>,
    /// Send the simulator's events instead of files.
    #[arg(long)]
    pub simulate: bool,
    #[command(flatten)]
    pub sim: SimArgs,
    /// Events per second (0 = as fast as possible).
    #[arg(long, env = "HOTLINE_RATE", default_value_t = 0.0)]
    pub rate: f64,
    /// Create the topic with this many partitions if it does not exist.
    #[arg(long, default_value_t = 4)]
    pub partitions: i32,
}
