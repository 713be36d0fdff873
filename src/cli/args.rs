//! Command-line arguments. Every option can also be set by an environment variable
//! (`HOTLINE_*`), which is how containers configure the service.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::simulate::Profile;

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
    /// Zone of naive timestamps and of months (an offset: +08:00).
    #[arg(
        long,
        global = true,
        env = "HOTLINE_TIMEZONE",
        default_value = "+08:00"
    )]
    pub timezone: String,
    /// Centre of events that carry no `center`.
    #[arg(long, global = true, env = "HOTLINE_CENTER", default_value = "12345")]
    pub center: String,
    /// Months kept: the as-of month and the ones before it.
    #[arg(long, global = true, env = "HOTLINE_RETENTION_MONTHS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub retention_months: u32,
    /// Unit registry (TOML: canonical names and aliases).
    #[arg(long, global = true, env = "HOTLINE_UNIT_REGISTRY")]
    pub unit_registry: Option<PathBuf>,
    /// Most distinct unit labels; later units are counted under 其他单位.
    #[arg(long, global = true, env = "HOTLINE_UNIT_LABEL_CAP", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
    pub unit_label_cap: u64,
    /// Assessment rules (TOML, see deploy/config/assessment.toml).
    #[arg(long, global = true, env = "HOTLINE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log filter (tracing's EnvFilter syntax).
    #[arg(long, global = true, env = "HOTLINE_LOG", default_value = "info")]
    pub log: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run JSON Lines files through the engine and print each month's figures.
    Replay(ReplayArgs),
    /// Write a simulated hotline's events as JSON Lines.
    Simulate(SimulateArgs),
    /// The long-running service: consume (Kafka, or the simulated hotline) and serve HTTP.
    Serve(ServeArgs),
    /// Feed a Kafka topic from JSON Lines files or from the simulator.
    Produce(ProduceArgs),
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
    /// Any librdkafka setting, `key=value`, repeatable (SASL/TLS included). Put secrets in
    /// HOTLINE_KAFKA_OPTIONS (comma-separated key=value) rather than on the command line.
    #[arg(long = "kafka-option", value_name = "KEY=VALUE")]
    pub kafka_options: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// HTTP address for /metrics, /healthz, /readyz, the API and /report.
    #[arg(long, env = "HOTLINE_LISTEN", default_value = "127.0.0.1:9898")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub kafka: KafkaArgs,
    /// Consumer group: instances in one group share the partitions.
    #[arg(long, env = "HOTLINE_GROUP", default_value = "hotline-pulse")]
    pub group: String,
    /// Dead-letter topic for rejected messages.
    #[arg(long, env = "HOTLINE_DLQ_TOPIC", default_value = "hotline.events.dlq")]
    pub dlq_topic: String,
    /// Directory of the partition checkpoints.
    #[arg(long, env = "HOTLINE_STATE_DIR", default_value = "./state")]
    pub state_dir: PathBuf,
    /// Checkpoint every this many seconds...
    #[arg(long, env = "HOTLINE_CHECKPOINT_SECS", default_value_t = 30)]
    pub checkpoint_secs: u64,
    /// ...or every this many events, whichever comes first.
    #[arg(long, env = "HOTLINE_CHECKPOINT_EVENTS", default_value_t = 200_000)]
    pub checkpoint_events: u64,
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
    /// Simulated hotline (without --brokers): events per second.
    #[arg(long, env = "HOTLINE_SIM_RATE", default_value_t = 2000.0)]
    pub sim_rate: f64,
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
