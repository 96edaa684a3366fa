"""Compiles, with the real kfp SDK's DSL, the pipeline a compiled Strata pipeline describes (a golden).

Reads a JSON graph on stdin, as @strata/testing/kubeflow's kfpGolden() writes it from a compiled pipeline:
  {"name", "parameters": {name: value}, "tasks": [{"key", "component", "image", "command", "args",
   "inputs": bool, "outputs": bool, "after": [keys], "retries": n|null, "resources": {...}|null,
   "env": {...}, "kubernetes": KubernetesExecutorConfig-as-JSON}]}
and writes the pipeline the kfp compiler makes of it (YAML) to stdout: the same tasks, containers,
dependencies, resources, retries, caching and kubernetes settings, each set through kfp's own API
(dsl.container_component, PipelineTask.set_*, kfp.kubernetes.*).
"""
import json
import os
import sys
import tempfile

from google.protobuf import json_format
from kfp import compiler, dsl, kubernetes
from kfp.kubernetes import common, kubernetes_executor_config_pb2

RUN_URI_IN = "{{$.inputs.parameters['run_uri']}}"
RUN_URI_OUT = "{{$.outputs.parameters['run_uri'].output_file}}"
TYPES = {bool: bool, int: int, float: float, str: str, list: list, dict: dict}


def container_component(name, image, command, args, takes_input, gives_output):
    if gives_output:
        def body(run_uri: dsl.OutputPath(str)):
            return dsl.ContainerSpec(image=image, command=command,
                                     args=[run_uri if arg == RUN_URI_OUT else arg for arg in args])
    elif takes_input:
        def body(run_uri: str):
            return dsl.ContainerSpec(image=image, command=command,
                                     args=[run_uri if arg == RUN_URI_IN else arg for arg in args])
    else:
        def body():
            return dsl.ContainerSpec(image=image, command=command, args=args)
    body.__name__ = name
    return dsl.container_component(body)


def apply_kubernetes(task, config):
    for item in config.get("secretAsEnv", []):
        kubernetes.use_secret_as_env(task, secret_name=item["secretName"],
                                     secret_key_to_env={m["secretKey"]: m["envVar"] for m in item["keyToEnv"]},
                                     optional=item.get("optional", False))
    for item in config.get("configMapAsVolume", []):
        kubernetes.use_config_map_as_volume(task, config_map_name=item["configMapName"],
                                            mount_path=item["mountPath"], optional=item.get("optional", False))
    for item in config.get("configMapAsEnv", []):
        kubernetes.use_config_map_as_env(task, config_map_name=item["configMapName"],
                                         config_map_key_to_env={m["configMapKey"]: m["envVar"] for m in item["keyToEnv"]},
                                         optional=item.get("optional", False))
    for item in config.get("secretAsVolume", []):
        kubernetes.use_secret_as_volume(task, secret_name=item["secretName"], mount_path=item["mountPath"],
                                        optional=item.get("optional", False))
    for item in config.get("fieldPathAsEnv", []):
        kubernetes.use_field_path_as_env(task, env_name=item["name"], field_path=item["fieldPath"])
    for item in config.get("pvcMount", []):
        kubernetes.mount_pvc(task, pvc_name=item["constant"], mount_path=item["mountPath"], sub_path=item.get("subPath", ""))
    for item in config.get("emptyDirMounts", []):
        kubernetes.empty_dir_mount(task, volume_name=item["volumeName"], mount_path=item["mountPath"],
                                   medium=item.get("medium"), size_limit=item.get("sizeLimit"))
    for key, value in config.get("nodeSelector", {}).get("labels", {}).items():
        kubernetes.add_node_selector(task, label_key=key, label_value=value)
    for item in config.get("tolerations", []):
        kubernetes.add_toleration(task, key=item.get("key"), operator=item.get("operator", "Equal"),
                                  value=item.get("value"), effect=item.get("effect"),
                                  toleration_seconds=int(item["tolerationSeconds"]) if "tolerationSeconds" in item else None)
    for item in config.get("nodeAffinity", []):
        kubernetes.add_node_affinity(task, match_expressions=item.get("matchExpressions"),
                                     match_fields=item.get("matchFields"), weight=item.get("weight"))
    if config.get("podAffinity"):
        # kfp-kubernetes 2.17 has the message but no helper: set it as its helpers set the others.
        msg = common.get_existing_kubernetes_config_as_message(task)
        for item in config["podAffinity"]:
            msg.pod_affinity.append(json_format.ParseDict(item, kubernetes_executor_config_pb2.PodAffinityTerm()))
        task.platform_config["kubernetes"] = json_format.MessageToDict(msg)
    metadata = config.get("podMetadata", {})
    for key, value in metadata.get("labels", {}).items():
        kubernetes.add_pod_label(task, label_key=key, label_value=value)
    for key, value in metadata.get("annotations", {}).items():
        kubernetes.add_pod_annotation(task, annotation_key=key, annotation_value=value)
    secrets = [item["secretName"] for item in config.get("imagePullSecret", [])]
    if secrets:
        kubernetes.set_image_pull_secrets(task, secrets)


def main():
    graph = json.load(sys.stdin)
    components = {t["key"]: container_component(t["component"], t["image"], t["command"], t["args"],
                                                 t["inputs"], t["outputs"]) for t in graph["tasks"]}
    producer = next(t["key"] for t in graph["tasks"] if t["outputs"])

    def body(*_parameters):
        made = {}
        for spec in graph["tasks"]:  # in dependency order
            component = components[spec["key"]]
            task = component(run_uri=made[producer].outputs["run_uri"]) if spec["inputs"] else component()
            task.set_caching_options(False)
            for name, value in spec.get("env", {}).items():
                task.set_env_variable(name, value)
            resources = spec.get("resources") or {}
            for key, setter in [("resourceCpuRequest", task.set_cpu_request), ("resourceCpuLimit", task.set_cpu_limit),
                                ("resourceMemoryRequest", task.set_memory_request),
                                ("resourceMemoryLimit", task.set_memory_limit)]:
                if key in resources:
                    setter(resources[key])
            if "accelerator" in resources:
                task.set_accelerator_type(resources["accelerator"]["resourceType"])
                task.set_accelerator_limit(int(resources["accelerator"]["resourceCount"]))
            if spec.get("retries"):
                task.set_retry(num_retries=spec["retries"])
            task.after(*[made[key] for key in spec["after"] if key != producer])
            apply_kubernetes(task, spec.get("kubernetes", {}))
            made[spec["key"]] = task

    import inspect
    parameters = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=value,
                                    annotation=TYPES[type(value)])
                  for name, value in graph.get("parameters", {}).items()]
    body.__signature__ = inspect.Signature(parameters)
    body.__annotations__ = {p.name: p.annotation for p in parameters}
    body.__name__ = "pipeline"
    pipeline = dsl.pipeline(name=graph["name"])(body)
    with tempfile.TemporaryDirectory() as directory:
        target = os.path.join(directory, "golden.yaml")
        compiler.Compiler().compile(pipeline, target)
        with open(target, encoding="utf-8") as stream:
            sys.stdout.write(stream.read())


if __name__ == "__main__":
    main()
