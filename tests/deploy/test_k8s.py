"""deploy/k8s: every core resource against the Kubernetes JSON schemas (kubernetes-validate,
strict: unknown fields fail) of the oldest and newest version it carries, the two custom ones
(Kustomization, ServiceMonitor) for their required fields, and the files against each other and
against the image (names, ports, labels, user, cache path, the metric)."""
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, dockerfile_stages, tool

K8S = ROOT / "deploy" / "k8s"
SCHEMA_CHECKED = ["pvc.yaml", "deployment.yaml", "deployment-cuda.yaml", "service.yaml",
                  "hpa.yaml", "prometheus-adapter-rules.yaml"]
CUSTOM = ["kustomization.yaml", "servicemonitor.yaml"]


def load(name):
    docs = list(yaml.safe_load_all((K8S / name).read_text()))
    assert len(docs) == 1, name
    return docs[0]


def test_every_file_is_checked():
    assert sorted(p.name for p in K8S.glob("*.yaml")) == sorted(SCHEMA_CHECKED + CUSTOM)


@pytest.mark.parametrize("version", ["1.25.0", "1.37.0"])
def test_schemas(version):
    result = subprocess.run([tool("kubernetes-validate"), "--strict", "-k", version,
                             *[str(K8S / n) for n in SCHEMA_CHECKED]],
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert output.count(" passed for resource ") == len(SCHEMA_CHECKED), output


def test_schema_check_is_not_silent(tmp_path):
    bad = tmp_path / "deployment.yaml"
    bad.write_text((K8S / "deployment.yaml").read_text().replace("readinessProbe:",
                                                                 "readinesProbe:"))
    result = subprocess.run([tool("kubernetes-validate"), "--strict", str(bad)],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "readinesProbe" in result.stdout + result.stderr


def test_kustomization_lists_existing_resources():
    k = load("kustomization.yaml")
    assert k["apiVersion"] == "kustomize.config.k8s.io/v1beta1" and k["kind"] == "Kustomization"
    assert k["resources"] == ["pvc.yaml", "deployment.yaml", "service.yaml"]
    for resource in k["resources"]:
        assert (K8S / resource).is_file()


def container(deployment):
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_of(c):
    return {e["name"]: e for e in c["env"]}


def image_user_and_cache(dockerfile):
    runtime = dockerfile_stages(dockerfile)[1][1]
    user = next(i for i in runtime if i.startswith("USER ")).split()[1]
    env = " ".join(i for i in runtime if i.startswith("ENV "))
    cache = env.split("HF_HOME=")[1].split()[0]
    return user, cache


@pytest.mark.parametrize("name,dockerfile", [("deployment.yaml", "Dockerfile"),
                                             ("deployment-cuda.yaml", "Dockerfile.cuda")])
def test_deployment(name, dockerfile):
    d = load(name)
    service, pvc = load("service.yaml"), load("pvc.yaml")
    pod = d["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert d["metadata"]["name"] == "r1"
    assert d["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    c = container(d)
    port_names = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert port_names == {"http": 7860}
    assert service["spec"]["ports"][0]["targetPort"] == "http"

    # Probes: all three on /health; the startup probe waits long enough for the download.
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"]:
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http"}, probe
    startup = c["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 15 * 60

    resources = c["resources"]
    for kind in ["cpu", "memory"]:
        assert kind in resources["requests"] and kind in resources["limits"], kind
    gpus = resources["limits"].get("nvidia.com/gpu")
    assert gpus == (1 if "cuda" in name else None)

    # The image's user and cache path.
    user, cache = image_user_and_cache(ROOT / dockerfile)
    security = pod["spec"]["securityContext"]
    assert f"{security['runAsUser']}:{security['runAsGroup']}" == user
    assert security["runAsNonRoot"] is True and security["fsGroup"] == 1000
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert mounts["huggingface"] == cache
    assert volumes["huggingface"]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    # readOnlyRootFilesystem: what r1 and the entrypoint write has a volume.
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert mounts["data"] == "/var/lib/r1" and mounts["tmp"] == "/tmp"

    env = env_of(c)
    assert env["R1_MODEL"]["value"] == "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
    assert env["R1_THREADS"]["valueFrom"]["resourceFieldRef"]["resource"] == "limits.cpu"
    # The Service's name must pass r1's Host check; $(POD_NAMESPACE) is defined before use.
    names = list(env)
    assert names.index("POD_NAMESPACE") < names.index("R1_ALLOWED_HOSTS")
    allowed = env["R1_ALLOWED_HOSTS"]["value"].split(",")
    svc = service["metadata"]["name"]
    assert svc in allowed and f"{svc}.$(POD_NAMESPACE).svc.cluster.local" in allowed
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "7860"
    assert annotations["prometheus.io/path"] == "/metrics"


def test_the_two_deployments_differ_only_in_the_gpu_parts():
    cpu, cuda = load("deployment.yaml"), load("deployment-cuda.yaml")
    assert container(cuda)["image"] != container(cpu)["image"]
    for d in (cpu, cuda):
        c = container(d)
        c.pop("image")
        c.pop("resources")
        d["spec"]["template"]["spec"].pop("tolerations", None)
    assert cpu == cuda


def test_pvc_is_shared_by_the_replicas():
    pvc = load("pvc.yaml")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]


def test_hpa_scales_the_deployment_on_the_queue():
    hpa = load("hpa.yaml")
    target = hpa["spec"]["scaleTargetRef"]
    deployment = load("deployment.yaml")["metadata"]["name"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment)
    metric = hpa["spec"]["metrics"][0]
    assert metric["type"] == "Pods"
    assert metric["pods"]["metric"]["name"] == "r1_queue_length"
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_adapter_rule_serves_the_hpa_metric():
    config = yaml.safe_load(load("prometheus-adapter-rules.yaml")["data"]["config.yaml"])
    rule = config["rules"][0]
    metric = load("hpa.yaml")["spec"]["metrics"][0]["pods"]["metric"]["name"]
    assert rule["seriesQuery"].startswith(metric + "{")
    assert rule["name"]["as"] == metric
    assert rule["resources"]["overrides"] == {"namespace": {"resource": "namespace"},
                                             "pod": {"resource": "pod"}}
    for placeholder in ["<<.Series>>", "<<.LabelMatchers>>", "<<.GroupBy>>"]:
        assert placeholder in rule["metricsQuery"]


def test_servicemonitor_selects_the_service():
    sm, service = load("servicemonitor.yaml"), load("service.yaml")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1" and sm["kind"] == "ServiceMonitor"
    assert sm["metadata"]["name"]
    assert sm["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    endpoint = sm["spec"]["endpoints"][0]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"]
    assert endpoint["path"] == "/metrics"

