"""The deployment files (Dockerfile, deploy/) hold together with the code they deploy.

No container engine runs where these tests run, so the image itself is not built here; what
is checked instead: the Dockerfile's invariants, the wheel its build stage makes (built by
the same command), the compose file's settings against the settings registry, the systemd
unit's stop timeout against the server's drain time, and the proxy examples (`nginx -t`
where nginx is installed).
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from wbserver.cli import DRAIN_SECONDS
from wbserver.config import SETTINGS, load_settings
from wbserver.storage.s3 import parse_s3_uri

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTING_NAMES = {s.env for s in SETTINGS}


# -- Dockerfile ---------------------------------------------------------------------------

def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """[(INSTRUCTION, arguments)] per stage, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    stages: list[list[tuple[str, str]]] = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        assert stages, f"{line!r} comes before the first FROM"
        stages[-1].append((instruction.upper(), " ".join(args.split())))
    return stages


STAGES = dockerfile_stages((ROOT / "Dockerfile").read_text())
BUILD, RUNTIME = STAGES[0], STAGES[-1]


def instructions(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [args for instruction, args in stage if instruction == name]


def exec_form(args: str) -> list[str]:
    """CMD ["a", "b"] or CMD a b."""
    return yaml.safe_load(args) if args.startswith("[") else shlex.split(args)


def test_dockerfile_is_multi_stage_slim_python_311_with_the_compiler_only_in_the_build():
    assert len(STAGES) == 2
    assert all(re.fullmatch(r"python:3\.11-slim( AS \w+)?", instructions(s, "FROM")[0],
                            re.IGNORECASE) for s in STAGES)
    assert any("gcc" in run for run in instructions(BUILD, "RUN"))
    runtime_runs = instructions(RUNTIME, "RUN")
    assert not any("gcc" in run or "-dev" in run or "pkg-config" in run for run in runtime_runs)
    # the runtime stage's only system package: the MariaDB client library of the C driver
    installed = [word for run in runtime_runs if "apt-get install" in run
                 for word in run.split("apt-get install", 1)[1].split("&&")[0].split()
                 if not word.startswith("-")]
    assert installed in ([], ["libmariadb3"]), installed
    copied = instructions(RUNTIME, "COPY")
    assert copied and all(c.startswith("--from=") for c in copied), \
        "the runtime stage takes only the build stage's wheels"
    assert any("--no-index" in run for run in instructions(RUNTIME, "RUN")), \
        "the runtime stage installs from the wheels alone"


def test_dockerfile_runs_as_a_non_root_user_with_a_data_volume():
    users = instructions(RUNTIME, "USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert [i for i, _ in RUNTIME].index("USER") > max(
        n for n, (i, _) in enumerate(RUNTIME) if i == "RUN"), "USER comes after every RUN"
    assert any("useradd" in run for run in instructions(RUNTIME, "RUN"))
    volumes = [v for args in instructions(RUNTIME, "VOLUME") for v in exec_form(args)]
    assert volumes == ["/data"]
    env = " ".join(instructions(RUNTIME, "ENV"))
    assert re.search(r"\bWBSERVER_DATA_DIR=/data\b", env)
    assert "WBSERVER_DATA_DIR" in SETTING_NAMES


def test_dockerfile_exposes_serves_and_checks_health_on_one_port():
    assert instructions(RUNTIME, "EXPOSE") == ["8080"]
    command = exec_form(instructions(RUNTIME, "CMD")[-1])
    assert command[:2] == ["wbserver", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8080"
    health = instructions(RUNTIME, "HEALTHCHECK")
    assert len(health) == 1 and "http://127.0.0.1:8080/healthz" in health[0]
    assert "curl" not in health[0] and "wget" not in health[0], "slim images have neither"


def test_dockerfile_fetches_nothing_by_url():
    text = (ROOT / "Dockerfile").read_text()
    for stage in STAGES:
        for args in instructions(stage, "ADD"):
            assert "://" not in args, f"ADD of a URL: {args}"
        for run in instructions(stage, "RUN"):
            assert not re.search(r"\b(curl|wget)\b", run), f"downloads outside pip/apt: {run}"
    assert not re.search(r"\|\s*(ba)?sh\b", text)


def test_dockerignore_keeps_the_build_context_to_the_package_sources():
    lines = [ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines[0] == "*", "everything is left out but what is named"
    kept = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    copied = {p for args in instructions(BUILD, "COPY") for p in args.split()[:-1]}
    assert copied <= kept, f"COPY names files the context leaves out: {copied - kept}"


def build_context(context: Path) -> Path:
    """What `docker build` sends with this .dockerignore: the files the build stage copies."""
    context.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, context / name)
    shutil.copytree(ROOT / "src", context / "src", ignore=shutil.ignore_patterns(
        "__pycache__", "*.pyc", "*.so", "*.egg-info"))
    return context


def test_the_build_stage_wheel_carries_templates_static_files_migrations_and_accelerator(
        tmp_path):
    """Build the wheel by the build stage's own command, in a context made as .dockerignore
    makes it, and look inside."""
    wheel_runs = [run for run in instructions(BUILD, "RUN") if run.startswith("pip wheel")
                  and "--no-deps" in run]
    assert len(wheel_runs) == 1, instructions(BUILD, "RUN")
    context = build_context(tmp_path / "src")
    out = tmp_path / "wheels"
    argv = shlex.split(wheel_runs[0].replace("/wheels", str(out)))
    assert argv[0] == "pip"  # this interpreter's pip, as the image's is the image's Python
    done = subprocess.run([sys.executable, "-m", "pip", *argv[1:]], cwd=context,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels = list(out.glob("wbserver-*.whl"))
    assert len(wheels) == 1, list(out.iterdir())
    names = set(zipfile.ZipFile(wheels[0]).namelist())

    package = ROOT / "src" / "wbserver"
    expected = {f"wbserver/{p.relative_to(package).as_posix()}"
                for folder in ("web/templates", "web/static", "metadata/migrations")
                for p in (package / folder).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    assert any(n.startswith("wbserver/web/templates/") for n in expected)
    assert any(n.startswith("wbserver/metadata/migrations/versions/") for n in expected)
    missing = expected - names
    assert not missing, f"left out of the wheel: {sorted(missing)[:10]}"
    assert {f"wbserver/api/graphql/{p.name}" for p in (package / "api/graphql").glob(
        "*.graphql")} <= names
    accel = [n for n in names if re.fullmatch(r"wbserver/domain/_accel\..*\.so", n)]
    assert accel, "the C accelerator was not compiled into the wheel"


# -- docker-compose.yml -------------------------------------------------------------------

COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
SAMPLE = {"MYSQL_PASSWORD": "db-pass", "MINIO_PASSWORD": "bucket-pass",
          "WBSERVER_SECRET_KEY": "k" * 32, "HOST": "https://wandb.example.com"}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}."""
    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        if name in env and (env[name] or op != ":-"):
            return env[name]
        assert op != ":?", f"{name} must be set"
        return rest if op == ":-" else ""
    return re.sub(r"\$\{(\w+)(:-|:\?)?([^}]*)\}", one, value)


def wbserver_services() -> dict[str, dict]:
    return {name: s for name, s in COMPOSE["services"].items()
            if s.get("image", "").startswith("wbserver")}


def test_compose_env_names_are_settings_of_the_registry_and_load():
    services = wbserver_services()
    assert services, "no service runs the wbserver image"
    for name, service in services.items():
        environment = service["environment"]
        unknown = set(environment) - SETTING_NAMES
        assert not unknown, f"{name}: not settings of config/settings.py: {sorted(unknown)}"
        assert {"MYSQL", "BUCKET", "HOST", "LICENSE"} <= set(environment)
        values = {k: interpolate(str(v), SAMPLE) for k, v in environment.items()}
        settings = load_settings(values)  # every value is a valid one
        assert settings.host == SAMPLE["HOST"]


def test_compose_database_and_bucket_point_at_the_services_beside_it():
    services = COMPOSE["services"]
    environment = wbserver_services()["wbserver"]["environment"]
    mysql = re.fullmatch(r"mysql://(\w+):(.+)@([\w-]+):(\d+)/(\w+)",
                         interpolate(environment["MYSQL"], SAMPLE))
    assert mysql, environment["MYSQL"]
    user, password, host, port, database = mysql.groups()
    db = services[host]
    assert db["image"].startswith("mariadb:") and port == "3306"
    db_env = {k: interpolate(str(v), SAMPLE) for k, v in db["environment"].items()}
    assert (db_env["MARIADB_USER"], db_env["MARIADB_PASSWORD"], db_env["MARIADB_DATABASE"]) \
        == (user, password, database)

    bucket = parse_s3_uri(interpolate(environment["BUCKET"], SAMPLE))
    assert bucket.endpoint == "http://minio:9000"
    minio = services["minio"]
    minio_env = {k: interpolate(str(v), SAMPLE) for k, v in minio["environment"].items()}
    assert (bucket.access_key, bucket.secret_key) == (
        minio_env["MINIO_ROOT_USER"], minio_env["MINIO_ROOT_PASSWORD"])
    maker = " ".join(services["minio-bucket"]["entrypoint"])
    assert maker.endswith(f"local/{bucket.bucket}")
    assert "minio:9000" in services["minio-bucket"]["environment"]["MC_HOST_local"]


def test_compose_image_ports_volume_and_stop_time_match_the_dockerfile():
    service = wbserver_services()["wbserver"]
    assert service["build"]["context"] == ".."
    assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
    exposed = instructions(RUNTIME, "EXPOSE")
    assert [p.rsplit(":", 1)[-1] for p in service["ports"]] == exposed
    assert [v.split(":")[1] for v in service["volumes"]] == ["/data"]
    assert set(service["volumes"][0].split(":")[:1]) <= set(COMPOSE["volumes"])
    grace = re.fullmatch(r"(\d+)s", service["stop_grace_period"])
    assert grace and int(grace.group(1)) > DRAIN_SECONDS


def test_compose_env_example_sets_every_variable_the_compose_file_requires():
    text = (DEPLOY / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = {line.split("=", 1)[0] for line in
               (DEPLOY / "compose.env.example").read_text().splitlines()
               if "=" in line and not line.startswith("#")}
    assert required <= example, required - example
    used = set(re.findall(r"\$\{(\w+)", text))
    assert example <= used, f"set in the example but never used: {example - used}"


# -- systemd ------------------------------------------------------------------------------

def test_systemd_unit_stops_gracefully_after_the_drain_and_runs_unprivileged():
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((DEPLOY / "wbserver.service").read_text())
    service = unit["Service"]
    assert service["User"] not in ("", "root")
    assert service["EnvironmentFile"].startswith("/")
    assert service["Restart"] == "on-failure"
    assert service.get("KillSignal", "SIGTERM") == "SIGTERM"
    timeout = re.fullmatch(r"(\d+)s?", service["TimeoutStopSec"])
    assert timeout and int(timeout.group(1)) > DRAIN_SECONDS
    command = shlex.split(service["ExecStart"])
    assert command[0].startswith("/") and command[1] == "serve"
    data_dir = re.fullmatch(r"WBSERVER_DATA_DIR=(/\S+)", service["Environment"])
    assert data_dir and data_dir.group(1) == "/var/lib/" + service["StateDirectory"]
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path):
    """Every key known to systemd, every value parsed (verify prints what it ignores)."""
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None, "systemd-analyze is missing: apt-get install systemd"
    wbserver = Path(sys.executable).with_name("wbserver")
    assert wbserver.is_file()
    unit = (DEPLOY / "wbserver.service").read_text()
    assert "/opt/wbserver/bin/wbserver " in unit
    (tmp_path / "wbserver.service").write_text(
        unit.replace("/opt/wbserver/bin/wbserver ", f"{wbserver} "))
    done = subprocess.run([analyze, "verify", str(tmp_path / "wbserver.service")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), \
        done.stdout + done.stderr


# -- reverse proxies ----------------------------------------------------------------------

def nginx_locations(text: str) -> dict[str, str]:
    """location prefix -> its block's text (blocks without nested braces)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"location\s+([^{]+?)\s*\{([^}]*)\}",
                                                           text)}


def test_nginx_example_streams_large_uploads_to_storage_and_forwards_the_scheme():
    text = (DEPLOY / "nginx.conf").read_text()
    assert re.search(r"listen 443 ssl", text) and "ssl_certificate " in text
    assert "return 301 https://" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "proxy_set_header X-Forwarded-Host $host;" in text
    storage = nginx_locations(text)["/storage/"]
    assert "proxy_request_buffering off;" in storage
    assert "client_max_body_size 0;" in storage  # the server enforces WBSERVER_MAX_UPLOAD_BYTES
    assert re.search(r"proxy_read_timeout (\d+)s;", storage)
    body = re.search(r"^\s*client_max_body_size (\d+)m;", text, re.MULTILINE)
    assert body and int(body.group(1)) * 1024 * 1024 >= load_settings({}).max_request_bytes


def test_nginx_example_passes_nginx_t(tmp_path):
    nginx_t((DEPLOY / "nginx.conf").read_text(), tmp_path)


def nginx_t(site: str, tmp_path: Path) -> None:
    """`nginx -t` of a site file, its certificate paths pointed at a throwaway one."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    assert nginx is not None, "nginx is missing: apt-get install nginx-light"
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wandb.example.com")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp_path}/cert.pem;", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp_path}/key.pem;",
                  site)
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{\n    access_log off;\n    include {tmp_path}/site.conf;\n}}\n")
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                           "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    assert "[warn]" not in done.stderr, done.stderr


def test_caddy_example_lifts_the_body_limit_only_for_storage():
    text = (DEPLOY / "Caddyfile").read_text()
    assert re.search(r"^wandb\.example\.com \{", text, re.MULTILINE), "a site with automatic TLS"
    storage, _, rest = text.partition("handle /storage/* {")[2].partition("\n\t}\n")
    assert "max_size 1TiB" in storage and "flush_interval -1" in storage
    assert "reverse_proxy 127.0.0.1:8080" in storage
    assert re.search(r"max_size 64MiB", rest) and "reverse_proxy 127.0.0.1:8080" in rest
    assert text.count("{") == text.count("}")


def test_caddy_example_passes_caddy_validate(tmp_path):
    caddy = shutil.which("caddy")
    assert caddy is not None, "caddy is missing: apt-get install caddy"
    home = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([caddy, "validate", "--adapter", "caddyfile", "--config",
                           str(DEPLOY / "Caddyfile")], env=home, capture_output=True,
                          text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "Valid configuration" in output, output
    assert '"level":"warn"' not in output and '"level":"error"' not in output, output


def test_deployment_docs_are_linked_from_the_operator_guide_and_readme():
    assert "(deployment.md)" in (ROOT / "docs" / "operators.md").read_text()
    assert "(docs/deployment.md)" in (ROOT / "README.md").read_text()
    docs = (ROOT / "docs" / "deployment.md").read_text()
    for name in ("Dockerfile", "deploy/docker-compose.yml", "deploy/wbserver.service",
                 "deploy/nginx.conf", "deploy/Caddyfile", "wbserver backup",
                 "wbserver db upgrade", "wbserver restore"):
        assert name in docs, name


# -- scaling out (issue 23) ---------------------------------------------------------------

def test_scale_out_nginx_example_has_several_upstreams_and_passes_nginx_t(tmp_path):
    text = (DEPLOY / "nginx-scale-out.conf").read_text()
    upstream = re.search(r"upstream wbserver \{([^}]*)\}", text)
    assert upstream and len(re.findall(r"^\s*server \S+:8080", upstream.group(1),
                                       re.MULTILINE)) >= 2
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert not re.search(r"^\s*(ip_hash|hash|sticky)\b", text, re.MULTILINE), \
        "no sticky sessions are needed"
    nginx_t(text, tmp_path)


def test_scale_out_caddy_example_checks_readyz_and_passes_caddy_validate(tmp_path):
    path = DEPLOY / "Caddyfile.scale-out"
    text = path.read_text()
    assert "health_uri /readyz" in text
    assert len(re.findall(r"\b\d+\.\d+\.\d+\.\d+:8080\b", text)) >= 2
    caddy = shutil.which("caddy")
    assert caddy is not None, "caddy is missing: apt-get install caddy"
    home = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([caddy, "validate", "--adapter", "caddyfile", "--config", str(path)],
                          env=home, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "Valid configuration" in output, output
    assert '"level":"error"' not in output, output


def test_kubernetes_example_probes_settings_and_grace_period():
    """Untested on a cluster (none runs here): its shape, its settings and its probes."""
    text = (DEPLOY / "kubernetes" / "wbserver.yaml").read_text()
    assert "UNTESTED" in text
    docs = list(yaml.safe_load_all(text))
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"Deployment", "Service"}
    deployment, service = kinds["Deployment"], kinds["Service"]
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] > DRAIN_SECONDS
    assert pod["securityContext"]["runAsNonRoot"] is True
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    names = {e["name"] for e in container["env"]}
    assert names <= SETTING_NAMES, names - SETTING_NAMES
    assert {"MYSQL", "BUCKET", "BUCKET_QUEUE", "WBSERVER_SECRET_KEY", "HOST"} <= names
    plain = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    load_settings(plain)  # every literal value is a valid one
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["name"]


def test_scale_out_docs_name_the_files_and_the_options():
    docs = (ROOT / "docs" / "deployment.md").read_text()
    for name in ("deploy/nginx-scale-out.conf", "deploy/Caddyfile.scale-out",
                 "deploy/kubernetes/wbserver.yaml", "--workers", "/readyz", "/healthz",
                 "WBSERVER_SECRET_KEY", "WBSERVER_LEASE_SECONDS", ".wbserver-install"):
        assert name in docs, name
