//! The maintainer-script reader, as preinst and as postinst, against an image where a
//! few paths exist. A panic of brush-parser is caught by the reader (and reported as an
//! error); one of aloft's own code aborts the run.
#![no_main]

use libfuzzer_sys::fuzz_target;

use aloft_maintscript::{Context, FileKind, Script};

fn files(path: &str) -> Option<FileKind> {
    match path {
        "/usr/bin/dpkg" | "/usr/sbin/adduser" | "/usr/bin/ucf" => Some(FileKind::Executable),
        "/etc" | "/usr" | "/var/lib" | "/run" => Some(FileKind::Dir),
        "/etc/default/fuzz" => Some(FileKind::File),
        _ => None,
    }
}

fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|info| {
            let ours = info
                .location()
                .is_none_or(|location| !location.file().contains("brush-parser"));
            if ours {
                eprintln!("{info}");
                std::process::abort();
            }
        }));
    },
    |data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let ctx = Context::new("fuzz", &files).with_architectures("amd64", "amd64");
        for script in [Script::Preinst, Script::Postinst] {
            let _ = aloft_maintscript::read_script(script, text, &ctx);
        }
    }
);
