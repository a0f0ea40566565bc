fn main() -> std::process::ExitCode {
    patron::cli::main()
}
