"""Golden assertions on the rendered charts: what a rollout, a node drain, a config change and a
merchant number need from them. Runs without a cluster and without pytest:

    python deploy/tests/test_charts.py        # one line per check, exit 1 on any failure
"""

from __future__ import annotations

import base64
import functools
import re
import sys
import traceback

import helm_python as helm

import charts
import values_table

MERCHANT_NUMBER = "1234567890123456789"
SCHEDULED_JOBS = {"session-cleanup", "job-cleanup", "digest", "media-cleanup", "membership-renewal", "payouts"}
WORKLOADS = {"Deployment", "StatefulSet", "Job", "CronJob"}


# --- rendering and lookups ---------------------------------------------------------------------------------


@functools.cache
def rendered(case: str) -> list[dict]:
    chart, values, release = charts.cases()[case]
    return charts.objects(charts.render(chart, values, release=release))


def patron(values: dict) -> list[dict]:
    return charts.objects(charts.render(charts.CHARTS / "patron", values))


def find(objects: list[dict], kind: str, name_suffix: str = "") -> list[dict]:
    return [o for o in objects if o["kind"] == kind and o["metadata"]["name"].endswith(name_suffix)]


def one(objects: list[dict], kind: str, name_suffix: str) -> dict:
    found = find(objects, kind, name_suffix)
    assert len(found) == 1, f"expected one {kind} *{name_suffix}, found {[o['metadata']['name'] for o in found]}"
    return found[0]


def pod_spec(obj: dict) -> dict:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def pod_metadata(obj: dict) -> dict:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
    return obj["spec"]["template"]["metadata"]


def containers(obj: dict) -> list[dict]:
    spec = pod_spec(obj)
    return spec.get("initContainers", []) + spec["containers"]


def env_value(objects: list[dict], container: dict, name: str) -> str | None:
    """A variable's value as the container sees it: its own env, else a ConfigMap it loads."""
    for variable in container.get("env", []):
        if variable["name"] == name:
            return variable.get("value")
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            config_map = one(objects, "ConfigMap", source["configMapRef"]["name"])
            if name in config_map.get("data", {}):
                return config_map["data"][name]
    return None


def seconds(text: str) -> int:
    match = re.fullmatch(r"(\d+)s", text)
    assert match, f"expected a duration in seconds, got {text!r}"
    return int(match.group(1))


def render_error(values: dict) -> str:
    try:
        patron(values)
    except helm.HelmError as error:
        return str(error)
    raise AssertionError(f"rendering with {values} was accepted")


# --- the checks ------------------------------------------------------------------------------


def check_web_deployment(case: str) -> None:
    objects = rendered(case)
    web = one(objects, "Deployment", "-web")
    strategy = web["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0, "a rollout must never drop below the wanted pods"
    assert strategy["rollingUpdate"]["maxSurge"] == 1
    (container,) = pod_spec(web)["containers"]
    assert container["args"] == ["serve", "--roles", "web"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert probe in container, f"web has no {probe}"
    assert container["startupProbe"]["httpGet"]["path"] == "/readyz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    pre_stop = container["lifecycle"]["preStop"]
    assert set(pre_stop) == {"sleep"}, "preStop must be the kubelet's sleep (no shell in the image)"
    pre_stop_seconds = pre_stop["sleep"]["seconds"]
    grace = seconds(env_value(objects, container, "PATRON_SHUTDOWN_GRACE"))
    delay = seconds(env_value(objects, container, "PATRON_SHUTDOWN_DELAY"))
    termination = pod_spec(web)["terminationGracePeriodSeconds"]
    assert termination > grace + pre_stop_seconds + delay, (
        f"terminationGracePeriodSeconds {termination} <= grace {grace} + preStop {pre_stop_seconds} + delay {delay}"
    )
    assert env_value(objects, container, "PATRON_METRICS_LISTEN"), "probes need the separate metrics listener"
    assert pod_spec(web).get("topologySpreadConstraints"), "web pods are not spread"
    hpa = find(objects, "HorizontalPodAutoscaler")
    if hpa:
        assert "replicas" not in web["spec"], "with an HPA the Deployment must not set replicas"
    else:
        assert web["spec"]["replicas"] >= 2


def check_pdb(case: str) -> None:
    objects = rendered(case)
    pdb = one(objects, "PodDisruptionBudget", "-web")
    web = one(objects, "Deployment", "-web")
    assert pdb["spec"]["selector"]["matchLabels"] == web["spec"]["selector"]["matchLabels"]


def check_worker(case: str) -> None:
    objects = rendered(case)
    worker = one(objects, "Deployment", "-worker")
    (container,) = pod_spec(worker)["containers"]
    assert container["args"][:2] == ["serve", "--roles"] and container["args"][2] in ("worker", "worker,scheduler")
    grace = seconds(env_value(objects, container, "PATRON_SHUTDOWN_GRACE"))
    assert pod_spec(worker)["terminationGracePeriodSeconds"] > grace


def check_every_container_is_locked_down(case: str) -> None:
    for obj in rendered(case):
        if obj["kind"] not in WORKLOADS:
            continue
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        spec = pod_spec(obj)
        assert spec.get("automountServiceAccountToken") is False, f"{where}: service account token mounted"
        assert spec.get("serviceAccountName"), f"{where}: no service account"
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in containers(obj):
            name = f"{where} container {container['name']}"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    assert resource in resources.get(kind, {}), f"{name}: no {resource} {kind}"
            context = container.get("securityContext", {})
            assert context.get("runAsNonRoot") is True, f"{name}: runAsNonRoot"
            assert context.get("runAsUser") == 65532 and context.get("runAsGroup") == 65532, f"{name}: user/group"
            assert context.get("readOnlyRootFilesystem") is True, f"{name}: readOnlyRootFilesystem"
            assert context.get("allowPrivilegeEscalation") is False, f"{name}: allowPrivilegeEscalation"
            assert context.get("capabilities", {}).get("drop") == ["ALL"], f"{name}: capabilities"
            assert context.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: seccomp"
            tmp = [m for m in container.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{name}: no emptyDir at /tmp"
            image = container["image"]
            assert not image.endswith(":latest") and ":latest@" not in image, f"{name}: image {image}"


def check_cronjobs(case: str) -> None:
    objects = rendered(case)
    cronjobs = find(objects, "CronJob")
    names = {c["metadata"]["name"].removeprefix("patron-") for c in cronjobs}
    assert SCHEDULED_JOBS <= names, f"missing CronJobs: {SCHEDULED_JOBS - names}"
    for cronjob in cronjobs:
        spec = cronjob["spec"]
        where = cronjob["metadata"]["name"]
        assert spec["concurrencyPolicy"] == "Forbid", f"{where}: concurrencyPolicy"
        for field in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            assert isinstance(spec.get(field), int), f"{where}: {field}"
        job = spec["jobTemplate"]["spec"]
        assert isinstance(job.get("activeDeadlineSeconds"), int), f"{where}: activeDeadlineSeconds"
        assert isinstance(job.get("backoffLimit"), int), f"{where}: backoffLimit"
        (container,) = pod_spec(cronjob)["containers"]
        job_name = where.removeprefix("patron-")
        if job_name in SCHEDULED_JOBS:
            assert container["args"] == ["run-job", job_name]
    # the long-running processes do not run the scheduler next to the CronJobs
    for deployment in find(objects, "Deployment"):
        assert "scheduler" not in pod_spec(deployment)["containers"][0]["args"][2]


def check_embedded_scheduler() -> None:
    objects = patron({"scheduler": {"mode": "embedded", "jobs": {"digest": {"enabled": False}}}})
    assert not find(objects, "CronJob"), "embedded mode makes no CronJobs"
    worker = one(objects, "Deployment", "-worker")
    assert pod_spec(worker)["containers"][0]["args"] == ["serve", "--roles", "worker,scheduler"]
    web = one(objects, "Deployment", "-web")
    assert pod_spec(web)["containers"][0]["args"] == ["serve", "--roles", "web"]
    config = one(objects, "ConfigMap", "patron")["data"]
    assert config["PATRON_SCHEDULE_DIGEST"] == "", "a disabled job gets a blank schedule"
    assert config["PATRON_SCHEDULE_MEMBERSHIP_RENEWAL"] == "*/10 * * * *"
    assert "scheduler" in render_error({"scheduler": {"mode": "sometimes"}})


def check_backup_and_probe() -> None:
    objects = rendered("patron-production")
    backup = one(objects, "CronJob", "-backup")
    (container,) = pod_spec(backup)["containers"]
    assert container["args"] == ["backup", "run", "-c", "/etc/patron-backup/backup.yml", "--expand-env"]
    assert any(m["mountPath"] == "/etc/patron-backup" for m in container["volumeMounts"])
    probe = one(objects, "CronJob", "-probe")
    (container,) = pod_spec(probe)["containers"]
    assert container["args"][:2] == ["probe", "https://members.example.com"]
    names = {e["name"] for e in container["env"]}
    assert names == {"PATRON_PROBE_EMAIL", "PATRON_PROBE_PASSWORD"}
    assert not find(rendered("patron-default"), "CronJob", "-backup"), "backup is off by default"
    assert "backup.yml" in render_error({"backup": {"enabled": True}})


def check_config_checksum() -> None:
    def checksums(values: dict) -> dict[str, str]:
        objects = patron(values)
        return {
            o["metadata"]["name"]: pod_metadata(o)["annotations"]["checksum/config"]
            for o in objects
            if o["kind"] in ("Deployment",)
        }

    before = checksums({})
    assert before and all(before.values()), "the Deployments carry no checksum/config"
    after = checksums({"config": {"logLevel": "patron=debug"}})
    for name, checksum in before.items():
        assert after[name] != checksum, f"{name}: checksum/config did not change with the config"
    assert checksums({}) == before, "the checksum is not stable"


def check_hpa() -> None:
    objects = patron({"web": {"autoscaling": {"enabled": True}}})
    assert "replicas" not in one(objects, "Deployment", "-web")["spec"]
    hpa = one(objects, "HorizontalPodAutoscaler", "-web")
    assert hpa["spec"]["minReplicas"] >= 2
    objects = patron({})
    assert one(objects, "Deployment", "-web")["spec"]["replicas"] == 2
    assert not find(objects, "HorizontalPodAutoscaler")


def check_migration_hook(case: str) -> None:
    objects = rendered(case)
    job = one(objects, "Job", "-migrate")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "helm.sh/hook-weight" in annotations
    assert set(annotations["helm.sh/hook-delete-policy"].split(",")) == {"before-hook-creation", "hook-succeeded"}
    (container,) = pod_spec(job)["containers"]
    assert container["args"] == ["migrate"]
    web = one(objects, "Deployment", "-web")
    assert container["image"] == pod_spec(web)["containers"][0]["image"], "the migration runs another image"
    # what the hook Job reads must exist before it: hook resources of a lower weight
    weight = int(annotations["helm.sh/hook-weight"])
    config_map = one(objects, "ConfigMap", container["envFrom"][0]["configMapRef"]["name"])
    account = one(objects, "ServiceAccount", pod_spec(job)["serviceAccountName"])
    for dependency in (config_map, account):
        dependency_annotations = dependency["metadata"].get("annotations", {})
        assert "pre-install" in dependency_annotations.get("helm.sh/hook", ""), f"{dependency['metadata']['name']} is not a hook"
        assert int(dependency_annotations["helm.sh/hook-weight"]) < weight


def check_migration_secret_is_a_hook() -> None:
    objects = rendered("patron-variants")
    job = one(objects, "Job", "-migrate")
    secret_names = {
        source["secret"]["name"]
        for volume in pod_spec(job)["volumes"]
        for source in volume.get("projected", {}).get("sources", [])
    }
    assert "patron-migrate" in secret_names and "patron-cache" in secret_names
    secret = one(objects, "Secret", "patron-migrate")
    assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < 0


def check_merchant_number() -> None:
    # the production example's 19 digits reach the pods as exactly that text
    objects = rendered("patron-production")
    for deployment in ("-web", "-worker"):
        container = pod_spec(one(objects, "Deployment", deployment))["containers"][0]
        value = env_value(objects, container, "PATRON_GPWEBPAY_MERCHANT_NUMBER")
        assert value == MERCHANT_NUMBER and isinstance(value, str), f"{deployment}: got {value!r}"
    # and in the raw manifest text it is a quoted string, not a YAML number
    raw = charts.render(charts.CHARTS / "patron", charts.cases()["patron-production"][1])
    assert f'PATRON_GPWEBPAY_MERCHANT_NUMBER: "{MERCHANT_NUMBER}"' in raw["patron/templates/configmap.yaml"]
    # leading zeros survive too
    variants = rendered("patron-variants")
    assert one(variants, "ConfigMap", "patron")["data"]["PATRON_GPWEBPAY_MERCHANT_NUMBER"] == "0012345678901234567"


def check_merchant_number_as_number_is_refused() -> None:
    for number in (int(MERCHANT_NUMBER), 12345678, 1.5e18):
        message = render_error({"config": {"gpwebpayMerchantNumber": number}})
        assert "gpwebpayMerchantNumber" in message, f"the refusal does not name the value: {message}"
    # the same through a values file written with an unquoted number
    values = charts.yaml.safe_load(f"config:\n  gpwebpayMerchantNumber: {MERCHANT_NUMBER}\n")
    assert isinstance(values["config"]["gpwebpayMerchantNumber"], int)
    assert "gpwebpayMerchantNumber" in render_error(values)


def check_unknown_keys_are_refused() -> None:
    assert "bogus" in render_error({"bogus": True})
    assert "replica" in render_error({"web": {"replica": 3}})
    assert "replicas" in render_error({"web": {"replicas": "3"}}), "a count given as text must be refused"
    try:
        charts.render(charts.CHARTS / "patron-data", {"redis": {"appendonly": False}})
    except helm.HelmError as error:
        assert "appendonly" in str(error)
    else:
        raise AssertionError("patron-data accepted an unknown key")


def check_render_refuses_short_termination_grace() -> None:
    message = render_error({"web": {"terminationGracePeriodSeconds": 30}})
    assert "terminationGracePeriodSeconds" in message and "35" in message, message
    assert "terminationGracePeriodSeconds" in render_error({"worker": {"terminationGracePeriodSeconds": 300}})
    assert "latest" in render_error({"image": {"tag": "latest"}}) or "tag" in render_error({"image": {"tag": "latest"}})


def check_secrets_are_files() -> None:
    objects = rendered("patron-production")
    web = pod_spec(one(objects, "Deployment", "-web"))
    container = web["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    for setting in (
        "DATABASE_URL",
        "SECRET_KEY",
        "CACHE_URL",
        "SMTP_URL",
        "S3_SECRET_ACCESS_KEY",
        "GPWEBPAY_PRIVATE_KEY",
        "GPWEBPAY_PRIVATE_KEY_PASSWORD",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
    ):
        assert f"PATRON_{setting}_FILE" in env, f"PATRON_{setting}_FILE missing"
        assert f"PATRON_{setting}" not in env, f"PATRON_{setting} given as plain environment"
    assert not any("secretKeyRef" in e.get("valueFrom", {}) for e in container["env"])
    assert not find(objects, "Secret", "patron"), "existingSecret given, yet the chart made a Secret"
    assert "not both" in render_error({"secrets": {"databaseUrl": {"value": "postgres://x", "existingSecret": "y"}}})


def check_stripe() -> None:
    # the production example: the publishable key in the ConfigMap, both secrets as files from
    # the Secret it names, and no Stripe secret in any ConfigMap
    objects = rendered("patron-production")
    config = one(objects, "ConfigMap", "patron")["data"]
    assert config["PATRON_STRIPE_PUBLISHABLE_KEY"] == "pk_live_EXAMPLEPUBLISHABLEKEY"
    assert "PATRON_STRIPE_API_BASE" not in config and "PATRON_STRIPE_JS_URL" not in config, "empty: patron's defaults"
    for deployment in ("-web", "-worker"):
        spec = pod_spec(one(objects, "Deployment", deployment))
        env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
        assert env["PATRON_STRIPE_SECRET_KEY_FILE"] == "/etc/patron/secrets/stripe-secret-key"
        assert env["PATRON_STRIPE_WEBHOOK_SECRET_FILE"] == "/etc/patron/secrets/stripe-webhook-secret"
        sources = [s["secret"] for v in spec["volumes"] for s in v.get("projected", {}).get("sources", [])]
        assert {"name": "patron-stripe", "items": [{"key": "secret-key", "path": "stripe-secret-key"}]} in sources
        assert {"name": "patron-stripe", "items": [{"key": "webhook-secret", "path": "stripe-webhook-secret"}]} in sources
    # values given inline: the secrets go into the chart's Secret (and the migration hook's), the
    # addresses into the ConfigMap, and no secret value into any ConfigMap
    variants = rendered("patron-variants")
    config = one(variants, "ConfigMap", "patron")["data"]
    assert config["PATRON_STRIPE_PUBLISHABLE_KEY"] == "pk_test_placeholder"
    assert config["PATRON_STRIPE_API_BASE"] == "https://stripe.example.com"
    assert config["PATRON_STRIPE_JS_URL"] == "https://js.stripe.example.com/v3/"
    for name in ("patron", "patron-migrate"):
        data = one(variants, "Secret", name)["data"]
        assert base64.b64decode(data["stripe-secret-key"]).decode() == "sk_test_placeholder"
        assert base64.b64decode(data["stripe-webhook-secret"]).decode() == "whsec_placeholder"
    for case in ("patron-production", "patron-variants"):
        for config_map in find(rendered(case), "ConfigMap"):
            for key, value in config_map.get("data", {}).items():
                assert key not in ("PATRON_STRIPE_SECRET_KEY", "PATRON_STRIPE_WEBHOOK_SECRET"), f"{case}: {key} in a ConfigMap"
                assert not re.match(r"(sk|rk)_|whsec_", str(value)), f"{case}: a Stripe secret in ConfigMap {key}"
    # a secret key put where the publishable key goes is refused, not written into the ConfigMap
    for wrong in ("sk_live_0123456789", "rk_live_0123456789", "whsec_0123456789"):
        assert "stripePublishableKey" in render_error({"config": {"stripePublishableKey": wrong}})
    for value in ("stripeApiBase", "stripeJsUrl"):
        assert value in render_error({"config": {value: "api.stripe.com"}})


def check_images_are_pinned(case: str) -> None:
    for obj in rendered(case):
        if obj["kind"] in WORKLOADS:
            for container in containers(obj):
                image = container["image"]
                assert re.fullmatch(r"[^:@\s]+/[^:@\s]+:[^:@\s]+@sha256:[0-9a-f]{64}", image), f"{obj['metadata']['name']}: {image}"
                assert ":latest@" not in image


def check_default_image_tag_is_app_version() -> None:
    web = one(patron({}), "Deployment", "-web")
    assert pod_spec(web)["containers"][0]["image"].endswith(":0.1.0")


def check_monitoring(case: str) -> None:
    objects = rendered(case)
    rule = one(objects, "PrometheusRule", "patron")
    exprs = " ".join(r["expr"] for group in rule["spec"]["groups"] for r in group["rules"] if "expr" in r)
    for needle in (
        'status=~"5.."',
        "histogram_quantile(0.99",
        "patron_job_oldest_due_age_seconds",
        'status="dead"',
        'patron_scheduled_job_runs_total{',
        "kube_job_status_failed",
        "patron_backup_last_success_timestamp_seconds",
        "absent(patron_backup_last_success_timestamp_seconds",
        "26 * 3600",
    ):
        assert needle in exprs, f"no alert uses {needle}"
    monitor = one(objects, "ServiceMonitor", "patron")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"


def check_network_policies(case: str) -> None:
    objects = rendered(case)
    policies = find(objects, "NetworkPolicy")
    web_policy = one(objects, "NetworkPolicy", "-web")
    assert web_policy["spec"]["ingress"][0]["ports"][0]["port"] == "http"
    base = one(objects, "NetworkPolicy", "patron")
    ports = {p["port"] for rule in base["spec"]["egress"] for p in rule["ports"]}
    assert 53 in ports and 6379 in ports, f"egress ports {ports}"
    assert all(p["spec"]["policyTypes"] for p in policies)


def check_data_chart(case: str) -> None:
    objects = rendered(case)
    statefulset = one(objects, "StatefulSet", "patron-data")
    assert statefulset["spec"]["replicas"] == 1
    (container,) = pod_spec(statefulset)["containers"]
    assert "@sha256:" in container["image"] and ":7.4" in container["image"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert probe in container
    config = one(objects, "ConfigMap", "patron-data")["data"]["redis.conf"]
    assert "appendonly yes" in config and "appendfsync everysec" in config
    claim = one(objects, "PersistentVolumeClaim", "-data")
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert claim["spec"]["resources"]["requests"]["storage"]
    policy = one(objects, "NetworkPolicy", "patron-data")
    assert policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "patron"}
    for obj in objects:
        labels = obj["metadata"].get("labels", {})
        for label in ("app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart"):
            assert label in labels, f"{obj['kind']}/{obj['metadata']['name']}: no {label}"
    if case.endswith("production"):
        rule = one(objects, "PrometheusRule", "patron-data")
        exprs = " ".join(r["expr"] for g in rule["spec"]["groups"] for r in g["rules"])
        assert "kubelet_volume_stats_used_bytes" in exprs and "kubelet_volume_stats_capacity_bytes" in exprs and "> 0.8" in exprs
        env = {e["name"] for e in container["env"]}
        assert {"REDIS_PASSWORD", "REDISCLI_AUTH"} <= env
    else:
        assert not find(objects, "PrometheusRule")


def check_data_chart_refuses_auth_without_secret() -> None:
    try:
        charts.render(charts.CHARTS / "patron-data", {"auth": {"enabled": True}})
    except helm.HelmError as error:
        assert "existingSecret" in str(error)
    else:
        raise AssertionError("auth without a Secret was accepted")
    for bad in ({"persistence": {"size": 8}}, {"image": {"tag": "latest"}}):
        try:
            charts.render(charts.CHARTS / "patron-data", bad)
        except helm.HelmError:
            pass
        else:
            raise AssertionError(f"patron-data accepted {bad}")


def quantity(text: str | int) -> float:
    """A Kubernetes quantity as a number (cores, or bytes)."""
    text = str(text)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9}
    for unit, factor in units.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def check_quota_covers_production() -> None:
    """The example ResourceQuota holds the production-like releases at their peak: the web at
    its HPA maximum plus the rollout's surge pod, the worker plus its surge, every CronJob at
    once, the migration hook and Redis."""
    totals = {"pods": 0.0, "requests.cpu": 0.0, "requests.memory": 0.0, "limits.cpu": 0.0, "limits.memory": 0.0}
    objects = rendered("patron-production") + rendered("patron-data-production")
    autoscaled = {h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"] for h in find(objects, "HorizontalPodAutoscaler")}
    for obj in objects:
        if obj["kind"] == "Deployment":
            replicas = autoscaled.get(obj["metadata"]["name"], obj["spec"].get("replicas", 1))
            pods = replicas + obj["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        elif obj["kind"] == "StatefulSet":
            pods = obj["spec"]["replicas"]
        elif obj["kind"] in ("CronJob", "Job"):
            pods = 1
        else:
            continue
        totals["pods"] += pods
        for container in containers(obj):
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    totals[f"{kind}.{resource}"] += pods * quantity(container["resources"][kind][resource])
    documents = list(charts.yaml.safe_load_all((charts.EXAMPLES / "namespace-quota.yaml").read_text()))
    quota = next(d for d in documents if d["kind"] == "ResourceQuota")["spec"]["hard"]
    for key, total in totals.items():
        assert total <= quantity(quota[key]), f"quota {key} {quota[key]} < the releases' peak {total:g}"
    # the comment's arithmetic is the rendered one
    assert totals["pods"] == 22 and round(totals["requests.cpu"] * 1000) == 3760, totals
    assert totals["requests.memory"] == 3616 * 2**20 and totals["limits.memory"] == 15104 * 2**20, totals
    assert round(totals["limits.cpu"] * 1000) == 20700, totals
    limit_range = next(d for d in documents if d["kind"] == "LimitRange")["spec"]["limits"][0]["max"]
    for obj in objects:
        if obj["kind"] in WORKLOADS:
            for container in containers(obj):
                for resource in ("cpu", "memory"):
                    assert quantity(container["resources"]["limits"][resource]) <= quantity(limit_range[resource]), (
                        f"{obj['metadata']['name']}: {resource} limit above the LimitRange's max"
                    )


def check_readme_values_tables() -> None:
    for chart in ("patron", "patron-data"):
        folder = charts.CHARTS / chart
        missing = values_table.undocumented(folder)
        assert not missing, f"{chart}: values without a ## @param comment: {missing}"
        readme = (folder / "README.md").read_text()
        assert values_table.table(folder) in readme, (
            f"{chart}/README.md: the values table is out of date; regenerate it with "
            f"python deploy/tests/values_table.py deploy/helm/{chart}"
        )


def checks() -> list[tuple[str, object]]:
    found = []
    for case in ("patron-default", "patron-production"):
        for check in (check_web_deployment, check_pdb, check_worker, check_every_container_is_locked_down, check_cronjobs, check_migration_hook, check_network_policies):
            found.append((f"{check.__name__}[{case}]", lambda check=check, case=case: check(case)))
    for case in ("patron-variants", "patron-data-default", "patron-data-production"):
        found.append((f"check_every_container_is_locked_down[{case}]", lambda case=case: check_every_container_is_locked_down(case)))
    for case in ("patron-production", "patron-variants", "patron-data-default", "patron-data-production"):
        found.append((f"check_images_are_pinned[{case}]", lambda case=case: check_images_are_pinned(case)))
    for case in ("patron-data-default", "patron-data-production"):
        found.append((f"check_data_chart[{case}]", lambda case=case: check_data_chart(case)))
    found.append(("check_monitoring[patron-production]", lambda: check_monitoring("patron-production")))
    for check in (
        check_embedded_scheduler,
        check_backup_and_probe,
        check_config_checksum,
        check_hpa,
        check_migration_secret_is_a_hook,
        check_merchant_number,
        check_merchant_number_as_number_is_refused,
        check_unknown_keys_are_refused,
        check_render_refuses_short_termination_grace,
        check_secrets_are_files,
        check_stripe,
        check_default_image_tag_is_app_version,
        check_data_chart_refuses_auth_without_secret,
        check_quota_covers_production,
        check_readme_values_tables,
    ):
        found.append((check.__name__, check))
    return found


def main() -> int:
    failures = 0
    for name, check in checks():
        try:
            check()
            print(f"  ok    {name}")
        except Exception:  # noqa: BLE001 - every failure is reported, then the next check runs
            failures += 1
            print(f"  FAIL  {name}")
            print("        " + traceback.format_exc().strip().replace("\n", "\n        "))
    print(f"  {len(checks()) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
