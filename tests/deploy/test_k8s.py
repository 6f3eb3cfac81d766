"""Checks on the Kubernetes manifests in deploy/k8s.

Every build (the base and each overlay, with the components it uses) is rendered with
`kubectl kustomize`, validated offline against the Kubernetes OpenAPI schemas shipped by
kubernetes-validate, and held to the deployment's policies: hardened containers, probes,
resources, pinned images, addresses that resolve to real Services, and network policies that
allow exactly the edges of the architecture.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

Manifest = dict[str, Any]

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
BUILDS: dict[str, Path] = {
    "base": K8S / "base",
    "dev": K8S / "overlays" / "dev",
    "prod": K8S / "overlays" / "prod",
}
OVERLAYS = ["dev", "prod"]
# The oldest Kubernetes release the manifests are written for (preStop sleep, matchLabelKeys),
# and the newest whose schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
PROBE_HANDLERS = {"exec", "grpc", "httpGet", "tcpSocket"}

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
GRPC_SERVICES = {"claims": 50051, "rules": 50052, "physician-codes": 50053, "credit": 50054}
APP_WORKLOADS = {*GRPC_SERVICES, "gateway"}
# Every workload with its own PostgreSQL schema; `fundguard migrate` migrates them all.
DATABASE_WORKLOADS = APP_WORKLOADS
# Environment variables that name what a process binds, not what it dials.
BIND_ADDRESSES = {
    "FUNDGUARD_LISTEN_ADDR": "grpc",
    "FUNDGUARD_GATEWAY_ADDR": "http",
    "FUNDGUARD_METRICS_ADDR": "metrics",
}

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None,
    reason="kubectl is not installed: it renders the kustomize builds (kubectl kustomize)",
)


# --------------------------------------------------------------------------- rendering


@functools.cache
def render(build: str) -> tuple[Manifest, ...]:
    result = subprocess.run(
        ["kubectl", "kustomize", str(BUILDS[build])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {build} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(objects: tuple[Manifest, ...], *kinds: str) -> list[Manifest]:
    return [obj for obj in objects if obj["kind"] in kinds]


def named(objects: tuple[Manifest, ...], kind: str, name: str) -> Manifest:
    matches = [obj for obj in objects if obj["kind"] == kind and obj["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_template(workload: Manifest) -> Manifest:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template: Manifest = spec["template"]
    return template


def containers(workload: Manifest, *, init: bool = True) -> Iterator[Manifest]:
    spec = pod_template(workload)["spec"]
    yield from spec.get("containers", [])
    if init:
        yield from spec.get("initContainers", [])


def config_maps(objects: tuple[Manifest, ...]) -> dict[str, dict[str, str]]:
    return {cm["metadata"]["name"]: cm.get("data", {}) for cm in of_kind(objects, "ConfigMap")}


def environment(objects: tuple[Manifest, ...], container: Manifest) -> dict[str, str]:
    """The container's literal environment, with ConfigMap values resolved."""
    maps = config_maps(objects)
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            assert name in maps, f"{container['name']}: envFrom ConfigMap {name} is not rendered"
            env.update(maps[name])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        elif "configMapKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["configMapKeyRef"]
            env[var["name"]] = maps[ref["name"]][ref["key"]]
    return env


def split_host_port(address: str) -> tuple[str, int]:
    if "://" in address:
        parts = urlsplit(address)
        assert parts.hostname and parts.port, f"{address}: needs a host and an explicit port"
        return parts.hostname, parts.port
    host, _, port = address.rpartition(":")
    assert host and port.isdigit(), f"{address}: expected host:port"
    return host, int(port)


def service_port(objects: tuple[Manifest, ...], host: str, port: int) -> tuple[Manifest, Manifest] | None:
    """The Service and port a DNS name in the rendered namespace resolves to, if any."""
    namespace = namespace_of(objects)
    short = host.removesuffix(".svc.cluster.local").removesuffix(".svc").removesuffix(f".{namespace}")
    for svc in of_kind(objects, "Service"):
        if svc["metadata"]["name"] == short:
            for entry in svc["spec"]["ports"]:
                if entry["port"] == port:
                    return svc, entry
    return None


def namespace_of(objects: tuple[Manifest, ...]) -> str:
    names = {obj["metadata"].get("namespace") for obj in objects if obj["kind"] != "Namespace"}
    assert len(names) == 1, f"every object should land in one namespace, found {names}"
    (name,) = names
    assert isinstance(name, str)
    return name


def image_reference_is_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    tag = last.rsplit(":", 1)[1]
    return bool(tag) and tag != "latest"


# --------------------------------------------------------------------------- rendering & schemas


@pytest.mark.parametrize("build", list(BUILDS))
def test_build_renders(build: str) -> None:
    objects = render(build)
    assert objects
    keys = [(obj["kind"], obj["metadata"]["name"]) for obj in objects]
    assert len(keys) == len(set(keys)), f"duplicate objects in {build}"
    namespace_of(objects)


# Custom resources have no schema in kubernetes-validate: check the fields we rely on.
CUSTOM_RESOURCE_SCHEMAS: dict[tuple[str, str], Manifest] = {
    ("postgresql.cnpg.io/v1", "Cluster"): {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["instances", "imageName", "storage", "bootstrap"],
                "properties": {
                    "instances": {"type": "integer", "minimum": 1},
                    "imageName": {"type": "string", "pattern": r"^[^@]+:[^:/@]+$|@sha256:"},
                    "storage": {
                        "type": "object",
                        "required": ["size"],
                        "properties": {"size": {"type": "string"}},
                    },
                    "bootstrap": {
                        "type": "object",
                        "properties": {
                            "initdb": {
                                "type": "object",
                                "required": ["database", "owner"],
                            }
                        },
                    },
                    "inheritedMetadata": {
                        "type": "object",
                        "properties": {
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                        },
                    },
                    "backup": {"type": "object"},
                },
            }
        },
    },
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["schedule", "cluster"],
                "properties": {
                    # CloudNativePG schedules have six fields, seconds first.
                    "schedule": {"type": "string", "pattern": r"^\S+( \S+){5}$"},
                    "cluster": {"type": "object", "required": ["name"]},
                },
            }
        },
    },
}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("build", list(BUILDS))
def test_objects_validate_against_kubernetes_schemas(build: str, version: str) -> None:
    errors: list[str] = []
    for obj in render(build):
        ident = f"{obj['kind']}/{obj['metadata']['name']}"
        custom = CUSTOM_RESOURCE_SCHEMAS.get((obj["apiVersion"], obj["kind"]))
        try:
            if custom is not None:
                jsonschema.validate(obj, custom)
            else:
                kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{ident}: no schema for {obj['apiVersion']} {obj['kind']}")
        except jsonschema.ValidationError as error:
            path = ".".join(str(part) for part in error.absolute_path)
            errors.append(f"{ident}: {path}: {error.message}")
    assert not errors, "\n".join(errors)


# --------------------------------------------------------------------------- pod policies


def workloads(build: str) -> list[Manifest]:
    return of_kind(render(build), *WORKLOAD_KINDS)


@pytest.mark.parametrize("build", list(BUILDS))
def test_every_container_is_hardened(build: str) -> None:
    errors: list[str] = []
    for workload in workloads(build):
        name = workload["metadata"]["name"]
        pod = pod_template(workload)["spec"]
        pod_sc = pod.get("securityContext", {})
        if pod.get("automountServiceAccountToken") is not False:
            errors.append(f"{name}: automountServiceAccountToken must be false")
        for container in containers(workload):
            where = f"{name}/{container['name']}"
            sc = container.get("securityContext", {})
            if sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is not True:
                errors.append(f"{where}: runAsNonRoot")
            if sc.get("runAsUser", pod_sc.get("runAsUser")) in (0, None):
                errors.append(f"{where}: runAsUser must be a non-zero uid")
            seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {}))
            if seccomp.get("type") != "RuntimeDefault":
                errors.append(f"{where}: seccompProfile must be RuntimeDefault")
            if sc.get("allowPrivilegeEscalation") is not False:
                errors.append(f"{where}: allowPrivilegeEscalation must be false")
            if sc.get("readOnlyRootFilesystem") is not True:
                errors.append(f"{where}: readOnlyRootFilesystem must be true")
            if sc.get("privileged"):
                errors.append(f"{where}: privileged")
            caps = sc.get("capabilities", {})
            if caps.get("drop") != ["ALL"] or caps.get("add"):
                errors.append(f"{where}: capabilities must drop ALL and add none")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("build", list(BUILDS))
def test_every_container_has_requests_and_limits(build: str) -> None:
    errors: list[str] = []
    for workload in workloads(build):
        for container in containers(workload):
            resources = container.get("resources", {})
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in resources.get(section, {}):
                        errors.append(
                            f"{workload['metadata']['name']}/{container['name']}: {section}.{resource}"
                        )
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("build", list(BUILDS))
def test_every_long_running_container_has_probes(build: str) -> None:
    errors: list[str] = []
    for workload in workloads(build):
        if workload["kind"] in {"Job", "CronJob"}:
            continue
        for container in containers(workload, init=False):
            where = f"{workload['metadata']['name']}/{container['name']}"
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    errors.append(f"{where}: no {probe}")
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                handlers = PROBE_HANDLERS & set(container.get(probe, {}))
                if probe in container and len(handlers) != 1:
                    errors.append(f"{where}: {probe} needs exactly one handler, has {sorted(handlers)}")
    assert not errors, "\n".join(errors)


def is_grpc_health_probe(probe: Manifest, port: int) -> bool:
    if "grpc" in probe:
        return bool(probe["grpc"]["port"] == port and probe["grpc"].get("service", "") == "")
    # Under mTLS (components/mtls) the kubelet cannot speak TLS: an exec probe asks
    # grpc.health.v1 with the pod's certificate.
    command = probe.get("exec", {}).get("command", [])
    return any(part.endswith("grpc-health-probe.py") for part in command) and str(port) in command


@pytest.mark.parametrize("build", list(BUILDS))
def test_services_probe_grpc_health_and_gateway_probes_http(build: str) -> None:
    objects = render(build)
    for name, port in GRPC_SERVICES.items():
        (container,) = containers(named(objects, "Deployment", name), init=False)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert is_grpc_health_probe(container[probe], port), f"{name}: {probe} is not grpc.health.v1"
    (gateway,) = containers(named(objects, "Deployment", "gateway"), init=False)
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


@pytest.mark.parametrize("build", list(BUILDS))
def test_images_are_pinned(build: str) -> None:
    images = [c["image"] for w in workloads(build) for c in containers(w)]
    for cluster in of_kind(render(build), "Cluster"):
        images.append(cluster["spec"]["imageName"])
    unpinned = [image for image in images if not image_reference_is_pinned(image)]
    assert images and not unpinned, f"images without an exact tag or digest (or tagged latest): {unpinned}"


@pytest.mark.parametrize("build", list(BUILDS))
def test_app_containers_run_one_fundguard_command(build: str) -> None:
    objects = render(build)
    for name in APP_WORKLOADS:
        (container,) = containers(named(objects, "Deployment", name), init=False)
        assert container["args"] == ["serve", name.replace("-", "_")]
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        data_dir = environment(objects, container)["FUNDGUARD_DATA_DIR"]
        assert data_dir in mounts, f"{name}: FUNDGUARD_DATA_DIR must be a writable mount"


@pytest.mark.parametrize("build", list(BUILDS))
def test_migrations_run_before_each_database_service(build: str) -> None:
    objects = render(build)
    for name in DATABASE_WORKLOADS:
        (main,) = containers(named(objects, "Deployment", name), init=False)
        assert secret_env(main).get("DATABASE_URL") == ("fundguard-db-app", "uri"), (
            f"{name}: DATABASE_URL must come from Secret fundguard-db-app, key uri"
        )
    for workload in of_kind(objects, "Deployment"):
        (main, *_) = containers(workload, init=False)
        if not any(var["name"] == "DATABASE_URL" for var in main.get("env", [])):
            continue
        init = pod_template(workload)["spec"].get("initContainers", [])
        migrate = [c for c in init if c.get("args") == ["migrate"]]
        assert migrate, f"{workload['metadata']['name']}: no initContainer runs `fundguard migrate`"
        assert migrate[0]["image"] == main["image"]
        assert any(var["name"] == "DATABASE_URL" for var in migrate[0]["env"])


def secret_env(container: Manifest) -> dict[str, tuple[str, str]]:
    """The container's variables taken from Secrets: name -> (Secret, key)."""
    refs: dict[str, tuple[str, str]] = {}
    for var in container.get("env", []):
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        if ref is not None:
            refs[var["name"]] = (ref["name"], ref["key"])
    return refs


@pytest.mark.parametrize("build", list(BUILDS))
def test_keys_come_from_secrets(build: str) -> None:
    objects = render(build)
    (gateway,) = containers(named(objects, "Deployment", "gateway"), init=False)
    assert secret_env(gateway).get("FUNDGUARD_SECRET_KEY") == ("fundguard-gateway-keys", "secret-key")
    # Both services encrypt identity numbers and must read each other's: one key, one Secret.
    holders = {
        workload["metadata"]["name"]: secret_env(container)["FUNDGUARD_PII_KEY"]
        for workload in of_kind(objects, "Deployment")
        for container in containers(workload, init=False)
        if "FUNDGUARD_PII_KEY" in secret_env(container)
    }
    assert holders == {
        "credit": ("fundguard-pii", "pii-key"),
        "physician-codes": ("fundguard-pii", "pii-key"),
    }
    # Keys never sit in a ConfigMap or a literal value, where `kubectl get -o yaml` shows them.
    for workload in workloads(build):
        for container in containers(workload):
            env = environment(objects, container)
            leaked = {"FUNDGUARD_SECRET_KEY", "FUNDGUARD_PII_KEY", "DATABASE_URL"} & set(env)
            assert not leaked, f"{workload['metadata']['name']}/{container['name']}: {sorted(leaked)} in plain text"


@pytest.mark.parametrize("build", list(BUILDS))
def test_no_secret_is_in_the_repository(build: str) -> None:
    assert not of_kind(render(build), "Secret"), "Secrets are created out of band (docs/operations.md)"


@pytest.mark.parametrize("build", list(BUILDS))
def test_every_referenced_secret_is_documented(build: str) -> None:
    guide = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    referenced: set[str] = set()
    for workload in workloads(build):
        pod = pod_template(workload)["spec"]
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                referenced.add(volume["secret"]["secretName"])
        for container in containers(workload):
            for var in container.get("env", []):
                if "secretKeyRef" in var.get("valueFrom", {}):
                    referenced.add(var["valueFrom"]["secretKeyRef"]["name"])
    for ingress in of_kind(render(build), "Ingress"):
        referenced.update(tls["secretName"] for tls in ingress["spec"]["tls"])
    undocumented = sorted(name for name in referenced if f"`{name}`" not in guide)
    assert not undocumented, f"Secrets not described in docs/operations.md: {undocumented}"


@pytest.mark.parametrize("build", list(BUILDS))
def test_service_accounts_and_config_maps_exist(build: str) -> None:
    objects = render(build)
    accounts = {sa["metadata"]["name"] for sa in of_kind(objects, "ServiceAccount")}
    maps = config_maps(objects)
    for workload in workloads(build):
        pod = pod_template(workload)["spec"]
        assert pod.get("serviceAccountName") in accounts, workload["metadata"]["name"]
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in maps
        for container in containers(workload):
            environment(objects, container)  # asserts every envFrom ConfigMap exists


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize("build", list(BUILDS))
def test_every_dialled_address_is_a_service_port(build: str) -> None:
    objects = render(build)
    errors: list[str] = []
    checked = 0
    for workload in workloads(build):
        for container in containers(workload):
            env = environment(objects, container)
            for key, value in env.items():
                dialled = (
                    re.fullmatch(r"FUNDGUARD_\w+_ADDR", key) is not None and key not in BIND_ADDRESSES
                ) or key in {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTLP_BACKEND_ENDPOINT"}
                if not dialled:
                    continue
                host, port = split_host_port(value)
                if key == "OTLP_BACKEND_ENDPOINT" and "." in host:
                    continue  # a backend outside the cluster
                checked += 1
                if service_port(objects, host, port) is None:
                    errors.append(
                        f"{workload['metadata']['name']}/{container['name']}: {key}={value}: no such Service port"
                    )
    assert checked, "no addresses found"
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("build", list(BUILDS))
def test_bind_addresses_match_named_container_ports(build: str) -> None:
    objects = render(build)
    for name in APP_WORKLOADS:
        (container,) = containers(named(objects, "Deployment", name), init=False)
        env = environment(objects, container)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        binds = [key for key in BIND_ADDRESSES if key in env]
        assert "FUNDGUARD_METRICS_ADDR" in binds
        assert ("FUNDGUARD_GATEWAY_ADDR" if name == "gateway" else "FUNDGUARD_LISTEN_ADDR") in binds
        for key in binds:
            _, port = split_host_port(env[key])
            assert ports.get(BIND_ADDRESSES[key]) == port, (
                f"{name}: {key} does not match port {BIND_ADDRESSES[key]}"
            )


@pytest.mark.parametrize("build", list(BUILDS))
def test_services_select_workloads_and_named_ports(build: str) -> None:
    objects = render(build)
    for svc in of_kind(objects, "Service"):
        selector = svc["spec"]["selector"]
        targets = [w for w in workloads(build) if selects(selector, pod_template(w)["metadata"]["labels"])]
        assert targets, f"Service {svc['metadata']['name']} selects no workload"
        names = {
            p.get("name") for w in targets for c in containers(w, init=False) for p in c.get("ports", [])
        }
        for entry in svc["spec"]["ports"]:
            assert entry["targetPort"] in names, (
                f"{svc['metadata']['name']}: targetPort {entry['targetPort']}"
            )
    for name, port in GRPC_SERVICES.items():
        svc = named(objects, "Service", name)
        assert {"name": "grpc", "port": port, "targetPort": "grpc", "protocol": "TCP"} in svc["spec"]["ports"]


@pytest.mark.parametrize("build", list(BUILDS))
def test_gateway_ingress_terminates_tls(build: str) -> None:
    objects = render(build)
    ingress = named(objects, "Ingress", "gateway")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    tls_hosts = {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}
    assert hosts <= tls_hosts
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            svc = named(objects, "Service", backend["name"])
            assert backend["port"]["name"] in {p["name"] for p in svc["spec"]["ports"]}


# --------------------------------------------------------------------------- network policies


def selects(selector: Manifest | None, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels, matchExpressions, or a plain map)."""
    if selector is None:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict[str, str]
    ports: dict[tuple[int, str], str] = field(default_factory=dict)  # (port, protocol) -> port name
    namespace_labels: dict[str, str] = field(default_factory=dict)
    outside_cluster: bool = False  # an address outside the cluster, reached through ipBlocks

    def ns_labels(self) -> dict[str, str]:
        return {"kubernetes.io/metadata.name": self.namespace, **self.namespace_labels}


# Pods outside the namespace that the policies are written for.
OUTSIDE = [
    Pod("ingress-controller", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
    Pod(
        "prometheus",
        "monitoring",
        {"app.kubernetes.io/name": "prometheus"},
        namespace_labels={"fundguard.io/monitoring": "true"},
    ),
    Pod("cnpg-operator", "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}),
    Pod("stranger", "elsewhere", {"app.kubernetes.io/name": "gateway"}),
    Pod("kube-dns", "kube-system", {"k8s-app": "kube-dns"}, {(53, "UDP"): "dns", (53, "TCP"): "dns-tcp"}),
    Pod(
        "internet",
        "",
        {},
        {(port, "TCP"): "" for port in (80, 443, 4317, 5432, 6443)},
        outside_cluster=True,
    ),
]


def pods_of(objects: tuple[Manifest, ...]) -> list[Pod]:
    namespace = namespace_of(objects)
    pods: list[Pod] = []
    for workload in of_kind(objects, *WORKLOAD_KINDS):
        ports = {
            (p["containerPort"], p.get("protocol", "TCP")): p.get("name", "")
            for c in containers(workload, init=False)
            for p in c.get("ports", [])
        }
        pods.append(
            Pod(workload["metadata"]["name"], namespace, pod_template(workload)["metadata"]["labels"], ports)
        )
    for cluster in of_kind(objects, "Cluster"):  # CloudNativePG instance pods
        name = cluster["metadata"]["name"]
        labels = {
            "cnpg.io/cluster": name,
            "cnpg.io/podRole": "instance",
            **cluster["spec"].get("inheritedMetadata", {}).get("labels", {}),
        }
        ports = {(5432, "TCP"): "postgresql", (8000, "TCP"): "status", (9187, "TCP"): "metrics"}
        pods.append(Pod(name, namespace, labels, ports))
    return pods


def peer_matches(peer: Manifest, policy_namespace: str, pod: Pod) -> bool:
    if "ipBlock" in peer:
        return pod.outside_cluster  # ipBlocks are written for addresses outside the cluster
    if pod.outside_cluster:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], pod.ns_labels()):
            return False
    elif pod.namespace != policy_namespace:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], pod.labels)


def port_matches(rule_ports: list[Manifest] | None, port: tuple[int, str], target: Pod) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != port[1]:
            continue
        wanted = entry.get("port")
        if wanted is None or wanted == port[0] or wanted == target.ports.get(port):
            return True
    return False


def allowed(
    policies: list[Manifest], direction: str, subject: Pod, peer: Pod, port: tuple[int, str], target: Pod
) -> bool:
    """Whether `subject`'s policies let traffic go to (Egress) or come from (Ingress) `peer`."""
    relevant = [
        p
        for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and selects(p["spec"]["podSelector"] or {"matchLabels": {}}, subject.labels)
        and direction in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not relevant:
        return True  # not isolated in this direction
    key, peers = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    for policy in relevant:
        for rule in policy["spec"].get(key) or []:
            if rule.get(peers) and not any(
                peer_matches(x, policy["metadata"]["namespace"], peer) for x in rule[peers]
            ):
                continue
            if port_matches(rule.get("ports"), port, target):
                return True
    return False


def allowed_edges(objects: tuple[Manifest, ...]) -> set[tuple[str, str, int, str]]:
    policies = of_kind(objects, "NetworkPolicy")
    inside = pods_of(objects)
    edges: set[tuple[str, str, int, str]] = set()
    for src in inside + OUTSIDE:
        for dst in inside + OUTSIDE:
            if src in OUTSIDE and dst in OUTSIDE:
                continue
            for port in dst.ports:
                if allowed(policies, "Egress", src, dst, port, dst) and allowed(
                    policies, "Ingress", dst, src, port, dst
                ):
                    edges.add((src.name, dst.name, port[0], port[1]))
    return edges


def expected_edges(build: str, objects: tuple[Manifest, ...]) -> set[tuple[str, str, int, str]]:
    database = "fundguard-db"
    edges = {
        ("gateway", "claims", 50051),
        ("gateway", "rules", 50052),
        ("gateway", "physician-codes", 50053),
        ("gateway", "credit", 50054),
        ("claims", "rules", 50052),
        ("claims", "physician-codes", 50053),
        ("claims", "credit", 50054),
        ("credit", "physician-codes", 50053),
        ("ingress-controller", "gateway", 8080),
        ("prometheus", "otel-collector", 8888),
    }
    edges |= {(name, database, 5432) for name in DATABASE_WORKLOADS}
    edges |= {(name, "otel-collector", port) for name in APP_WORKLOADS for port in (4317, 4318)}
    edges |= {("prometheus", name, 9464) for name in APP_WORKLOADS}
    if build == "dev":
        edges.add(("otel-collector", "jaeger", 4317))
    if build == "prod":
        edges |= {("otel-collector", "internet", port) for port in (4317, 443)}
        edges |= {(database, "internet", port) for port in (443, 6443)}
        edges |= {(database, database, port) for port in (5432, 8000)}
        edges |= {("cnpg-operator", database, port) for port in (5432, 8000)}
    result = {(src, dst, port, "TCP") for src, dst, port in edges}
    result |= {(pod.name, "kube-dns", 53, proto) for pod in pods_of(objects) for proto in ("UDP", "TCP")}
    return result


@pytest.mark.parametrize("build", OVERLAYS)
def test_network_policies_allow_exactly_the_architecture_edges(build: str) -> None:
    objects = render(build)
    actual = allowed_edges(objects)
    expected = expected_edges(build, objects)
    assert actual - expected == set(), f"edges allowed beyond the architecture: {sorted(actual - expected)}"
    assert expected - actual == set(), f"architecture edges blocked: {sorted(expected - actual)}"


@pytest.mark.parametrize("build", OVERLAYS)
def test_every_workload_has_its_own_network_policy(build: str) -> None:
    objects = render(build)
    policies = of_kind(objects, "NetworkPolicy")
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress") and not p["spec"].get("egress")
    ]
    assert deny and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}, "no default-deny policy"
    for pod in pods_of(objects):
        own = [
            p for p in policies if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], pod.labels)
        ]
        assert own, f"{pod.name}: no NetworkPolicy selects it"


def test_base_alone_has_no_network_policies() -> None:
    # The policies are a component: an overlay chooses them, the base stays neutral.
    assert not of_kind(render("base"), "NetworkPolicy")


# --------------------------------------------------------------------------- overlays


def test_dev_runs_one_replica_with_its_own_database_and_jaeger() -> None:
    objects = render("dev")
    for deployment in of_kind(objects, "Deployment"):
        assert deployment["spec"].get("replicas") == 1, deployment["metadata"]["name"]
    assert named(objects, "StatefulSet", "fundguard-db")["spec"]["replicas"] == 1
    named(objects, "Deployment", "jaeger")
    backend = config_maps(objects)
    (collector_env,) = [v for k, v in backend.items() if k.startswith("otel-collector-backend")]
    assert collector_env["OTLP_BACKEND_ENDPOINT"] == "jaeger-collector:4317"
    assert not of_kind(objects, "HorizontalPodAutoscaler", "Cluster")


def test_prod_scales_spreads_and_survives_disruption() -> None:
    objects = render("prod")
    autoscaled = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(objects, "HorizontalPodAutoscaler")}
    budgets = of_kind(objects, "PodDisruptionBudget")
    for name in APP_WORKLOADS:
        deployment = named(objects, "Deployment", name)
        assert name in autoscaled and autoscaled[name]["spec"]["minReplicas"] >= 2, f"{name}: HPA"
        assert "replicas" not in deployment["spec"], f"{name}: a fixed replica count fights the HPA"
        labels = pod_template(deployment)["metadata"]["labels"]
        assert any(selects(b["spec"]["selector"], labels) for b in budgets), f"{name}: no PodDisruptionBudget"
    for deployment in of_kind(objects, "Deployment"):
        spread = pod_template(deployment)["spec"].get("topologySpreadConstraints", [])
        keys = {c["topologyKey"]: c for c in spread}
        assert keys.get("kubernetes.io/hostname", {}).get("whenUnsatisfiable") == "DoNotSchedule", deployment[
            "metadata"
        ]["name"]
    cluster = named(objects, "Cluster", "fundguard-db")
    assert cluster["spec"]["instances"] >= 3
    assert "backup" in cluster["spec"] and of_kind(objects, "ScheduledBackup")
    assert not of_kind(objects, "StatefulSet"), "prod's PostgreSQL is the CloudNativePG Cluster"


def test_prod_uses_mutual_tls_from_secrets() -> None:
    objects = render("prod")
    for name in APP_WORKLOADS:
        deployment = named(objects, "Deployment", name)
        (container,) = containers(deployment, init=False)
        env = environment(objects, container)
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod_template(deployment)["spec"]["volumes"]}
        assert volumes["mtls"]["secret"]["secretName"] == f"{name}-mtls"
        for key in ("FUNDGUARD_TLS_CERT", "FUNDGUARD_TLS_KEY", "FUNDGUARD_TLS_CA"):
            assert env[key].startswith(mounts["mtls"] + "/"), f"{name}: {key}"


def test_prod_collector_exports_to_a_configurable_backend() -> None:
    objects = render("prod")
    maps = config_maps(objects)
    (backend,) = [v for k, v in maps.items() if k.startswith("otel-collector-backend")]
    assert backend["OTLP_BACKEND_ENDPOINT"] and backend["OTLP_BACKEND_INSECURE"] in {"true", "false"}
    (config,) = [v for k, v in maps.items() if k.startswith("otel-collector-config")]
    collector = yaml.safe_load(config["config.yaml"])
    exporter = collector["exporters"]["otlp/backend"]
    assert exporter["endpoint"] == "${env:OTLP_BACKEND_ENDPOINT}"
    assert collector["service"]["pipelines"]["traces"]["exporters"] == ["otlp/backend"]
