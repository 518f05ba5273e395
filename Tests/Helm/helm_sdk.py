#!/usr/bin/env python3
"""Helm's own Go SDK (PyPI helm-python-sdk) for the Swift tests: one action per call, JSON out.

    helm_sdk.py render    CHART VALUES_JSON RELEASE NAMESPACE      -> {template path: manifest}
    helm_sdk.py lint      CHART VALUES_JSON KUBE_VERSION            -> Helm's lint result
    helm_sdk.py install   KUBECONFIG CHART VALUES_JSON RELEASE NAMESPACE
    helm_sdk.py upgrade   KUBECONFIG CHART VALUES_JSON RELEASE NAMESPACE
    helm_sdk.py uninstall KUBECONFIG RELEASE NAMESPACE

A Helm error prints {"error": "..."} and exits 2, so a test can assert on the message.
"""
import json
import sys

import helm_python as helm


def main(argv):
    action, args = argv[1], argv[2:]
    if action == "render":
        chart, values, release, namespace = args
        return helm.Chart.load(chart).render(json.loads(values), name=release, namespace=namespace)
    if action == "lint":
        chart, values, kube_version = args
        return helm.lint(chart, json.loads(values), strict=True, kube_version=kube_version)
    if action in ("install", "upgrade"):
        kubeconfig, chart, values, release, namespace = args
        config = helm.Config(kubeconfig_path=kubeconfig, namespace=namespace)
        if action == "install":
            release = config.install(chart, release, json.loads(values), namespace=namespace, create_namespace=True, timeout=120)
        else:
            release = config.upgrade(chart, release, json.loads(values), namespace=namespace, timeout=120)
        return {"manifest": release.get("manifest", ""), "version": release.get("version")}
    if action == "uninstall":
        kubeconfig, release, namespace = args
        config = helm.Config(kubeconfig_path=kubeconfig, namespace=namespace)
        config.uninstall(release, timeout=120)
        return {}
    raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    try:
        result = main(sys.argv)
    except helm.HelmError as error:
        print(json.dumps({"error": str(error)}))
        sys.exit(2)
    print(json.dumps(result))
