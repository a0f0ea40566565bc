fn main() -> std::process::ExitCode {
    // HTTP clients on rustls (object storage, trace export) need a crypto provider first
    patron_storage::install_tls_provider();
    patron::cli::main()
}
