//! Ctrl-C and SIGTERM: noticed, not obeyed at once, so that children are stopped and no file
//! is left half-written before the process exits with code 130.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler. Safe to call more than once; later calls do nothing.
pub fn install() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // Without a handler the default action still ends the process; children in their own
        // process groups would then survive, which is why failing to install is worth a warning.
        if let Err(error) = ctrlc::set_handler(|| REQUESTED.store(true, Ordering::SeqCst)) {
            eprintln!("warning: cannot install the Ctrl-C handler: {error}");
        }
    });
}

/// Whether an interrupt has arrived.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
