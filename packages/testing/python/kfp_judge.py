"""Judges a compiled KFP pipeline file with the real kfp SDK (used by @strata/testing/kubeflow).

Reads the pipeline YAML (a PipelineSpec document, then optionally the platform spec) from the path in
argv[1] and prints one JSON report on stdout:
  {"ok": bool, "problems": [...], "tasks": [...], "recompiled": {...}}
Every check is strict: json_format.ParseDict refuses unknown fields and bad enum values.
"""
import json
import os
import sys
import tempfile

import yaml
from google.protobuf import json_format
from kfp import compiler
from kfp.components import load_component_from_file
from kfp.kubernetes import kubernetes_executor_config_pb2
from kfp.pipeline_spec import pipeline_spec_pb2


def parse(doc, message, what, problems):
    try:
        return json_format.ParseDict(doc, message, ignore_unknown_fields=False)
    except Exception as error:  # noqa: BLE001 - every parse failure is a finding
        problems.append(f"{what}: {type(error).__name__}: {error}")
        return None


def main(path):
    problems = []
    with open(path, encoding="utf-8") as stream:
        docs = [doc for doc in yaml.safe_load_all(stream) if doc is not None]
    if not docs:
        print(json.dumps({"ok": False, "problems": ["the file holds no document"]}))
        return
    spec_doc, platform_docs = docs[0], docs[1:]
    spec = parse(spec_doc, pipeline_spec_pb2.PipelineSpec(), "PipelineSpec", problems)
    platform = {}
    for doc in platform_docs:
        platform.update(doc)
    platform_spec = parse(platform, pipeline_spec_pb2.PlatformSpec(), "PlatformSpec", problems)

    # Each executor, alone, as the deployment config the backend reads it into.
    for label, executor in (spec_doc.get("deploymentSpec", {}).get("executors", {}) or {}).items():
        parse({"executors": {label: executor}}, pipeline_spec_pb2.PipelineDeploymentConfig(),
              f"PipelineDeploymentConfig of {label}", problems)
    k8s = (platform.get("platforms", {}).get("kubernetes", {}).get("deploymentSpec", {}) or {}).get("executors", {})
    for label, config in (k8s or {}).items():
        parse(config, kubernetes_executor_config_pb2.KubernetesExecutorConfig(),
              f"KubernetesExecutorConfig of {label}", problems)

    recompiled = None
    try:
        component = load_component_from_file(path)
        with tempfile.TemporaryDirectory() as directory:
            target = os.path.join(directory, "recompiled.yaml")
            compiler.Compiler().compile(component, target)
            with open(target, encoding="utf-8") as stream:
                again = [doc for doc in yaml.safe_load_all(stream) if doc is not None]
        again_spec = parse(again[0], pipeline_spec_pb2.PipelineSpec(), "recompiled PipelineSpec", problems)
        if spec is not None and again_spec is not None:
            same_tasks = set(spec.root.dag.tasks) == set(again_spec.root.dag.tasks)
            same_executors = set(spec.deployment_spec["executors"]) == set(again_spec.deployment_spec["executors"])
            if not same_tasks:
                problems.append("recompiling changed the tasks")
            if not same_executors:
                problems.append("recompiling changed the executors")
            recompiled = {"tasks": sorted(again_spec.root.dag.tasks), "platform": len(again) > 1}
    except Exception as error:  # noqa: BLE001
        problems.append(f"load_component_from_file / recompile: {type(error).__name__}: {error}")

    report = {
        "ok": not problems,
        "problems": problems,
        "tasks": sorted(spec.root.dag.tasks) if spec is not None else [],
        "platformExecutors": sorted(k8s or {}),
        "recompiled": recompiled,
        "canonical": {
            "pipelineSpec": json_format.MessageToDict(spec) if spec is not None else None,
            "platformSpec": json_format.MessageToDict(platform_spec) if platform_spec is not None else None,
        },
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
