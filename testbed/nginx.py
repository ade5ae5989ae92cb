"""nginx on a loopback port, serving a built site with the production locations file
(deploy/nginx/crisis-site.locations): for the site's tests and the serving benchmark."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCATIONS = ROOT / "deploy" / "nginx" / "crisis-site.locations"
BROTLI = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so"


def nginx_config(folder: Path, port: int, site: Path, locations: str) -> Path:
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    temps = " ".join(f"{n}_temp_path {folder}/tmp/{d};" for n, d in (
        ("client_body", "body"), ("proxy", "proxy"), ("fastcgi", "fastcgi"),
        ("uwsgi", "uwsgi"), ("scgi", "scgi")))
    conf = folder / "nginx.conf"
    conf.write_text(f"""load_module {BROTLI};
daemon off; master_process on; worker_processes 1; user root;
pid {folder}/nginx.pid; error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{ include /etc/nginx/mime.types; access_log off; {temps}
  server {{ listen 127.0.0.1:{port}; root {site}; {locations} }}
}}
""")
    return conf


def start_nginx(conf: Path, port: int) -> subprocess.Popen[bytes]:
    subprocess.run(["nginx", "-t", "-q", "-p", str(conf.parent), "-c", str(conf)], check=True)
    process = subprocess.Popen(["nginx", "-p", str(conf.parent), "-c", str(conf)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError((conf.parent / "error.log").read_text())
            time.sleep(0.02)  # polling with a deadline, not waiting for a guess
    process.terminate()
    raise TimeoutError("nginx did not start")
