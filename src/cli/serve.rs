//! `todoapi serve`: the server, and what it tells a developer once it listens.

use std::process::ExitCode;

use todoapi::settings::Settings;
use todoapi::startup::Application;

/// What a developer needs once the server listens: where, a token, a first request.
fn announce(app: &Application, settings: &Settings) {
    let base = settings.local_base_url(app.port());
    println!("todoapi is listening on {base}");
    if let Some(port) = app.metrics_port() {
        let host = settings.metrics.listen_address().map(|a| a.ip());
        let host = match host {
            Some(ip) if !ip.is_unspecified() => ip.to_string(),
            _ => "127.0.0.1".to_owned(),
        };
        println!("Prometheus metrics on http://{host}:{port}/metrics");
    }
    #[cfg(feature = "dev-issuer")]
    super::dev::announce(app, settings, &base);
}

pub fn serve(settings: Settings) -> ExitCode {
    let result = actix_web::rt::System::new().block_on(async move {
        let shown = settings.clone();
        // Invalid settings exit 2, as when they are read; anything else 1.
        let app = Application::build(settings).await.map_err(|e| {
            let invalid = matches!(e, todoapi::startup::StartError::Settings(_));
            (e.to_string(), if invalid { 2 } else { 1 })
        })?;
        announce(&app, &shown);
        app.run_until_signalled()
            .await
            .map_err(|e| (e.to_string(), 1))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((e, code)) => {
            eprintln!("todoapi: {e}");
            ExitCode::from(code)
        }
    }
}
