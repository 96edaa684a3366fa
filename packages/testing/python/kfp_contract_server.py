"""A contract server for the Kubeflow Pipelines REST API v2beta1 (used by @strata/testing/kubeflow).

Not Kubeflow: a stand-in that holds a client to the API's published contract. Every request body (and the
list filter) is parsed strictly into the models of the published `kfp-server-api` package — an unknown
field, a wrong type or an enum value the API does not know is a 400, as grpc-gateway's strict protojson
answers — and an inline pipeline spec is parsed into kfp-pipeline-spec's PipelineSpec and PlatformSpec.
Answers are those models serialised as the API serialises them; errors are google.rpc.Status documents.

Auth (--auth): none; token (Authorization: Bearer <--token>); dex (an oauth2-proxy/Dex-like form login:
the API redirects to /dex/auth, whose local connector's form sets an `authservice_session` cookie).
--multi-user: experiments, runs and recurring runs live in namespaces; a request must name one the user
may use (--namespaces).

What a run does is up to the test: GET /_test/runs lists them with their specs, POST /_test/runs/<id>/state
sets a state (and error); with --auto-succeed a run goes PENDING → RUNNING → SUCCEEDED on successive reads.
GET /_test/requests lists the requests seen.
"""
import argparse
import datetime
import json
import re
import secrets
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import kfp_server_api
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from kfp_server_api import models

API = "/apis/v2beta1/"
FINAL = {"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"}


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bad(message):
    return ApiError(400, 3, f"Invalid input error: {message}")


def snake(name):
    return re.sub(r"([A-Z])", lambda match: "_" + match.group(1).lower(), name)


def strict(data, class_name, path):
    """`data` as an instance of the kfp_server_api model `class_name`, refusing anything unknown."""
    klass = getattr(models, class_name)
    if not isinstance(data, dict):
        raise bad(f"{path}: expected an object ({class_name}), got {type(data).__name__}")
    by_json = {json_key: attribute for attribute, json_key in klass.attribute_map.items()}
    kwargs = {}
    for key, value in data.items():
        # protojson takes a field's JSON name and its proto name alike.
        attribute = by_json.get(key) or by_json.get(snake(key))
        if attribute is None:
            raise bad(f'{path}: unknown field "{key}" in {class_name}')
        kwargs[attribute] = convert(value, klass.openapi_types[attribute], f"{path}.{key}")
    try:
        return klass(**kwargs)
    except ValueError as error:
        raise bad(f"{path}: {error}") from error


def convert(value, type_name, path):
    if value is None:
        return None
    if type_name.startswith("list["):
        if not isinstance(value, list):
            raise bad(f"{path}: expected a list")
        return [convert(item, type_name[5:-1], f"{path}[{index}]") for index, item in enumerate(value)]
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            raise bad(f"{path}: expected an object")
        inner = type_name[type_name.index(",") + 1:-1].strip()
        return {key: convert(item, inner, f"{path}.{key}") for key, item in value.items()}
    if type_name == "str":
        if not isinstance(value, str):
            raise bad(f"{path}: expected a string, got {json.dumps(value)}")
        return value
    if type_name == "int":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit())):
            raise bad(f"{path}: expected an integer, got {json.dumps(value)}")
        return int(value)
    if type_name == "bool":
        if not isinstance(value, bool):
            raise bad(f"{path}: expected true or false, got {json.dumps(value)}")
        return value
    if type_name == "datetime":
        try:
            return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as error:
            raise bad(f"{path}: not an RFC 3339 time: {value}") from error
    if type_name == "object":
        return value
    klass = getattr(models, type_name)
    if hasattr(klass, "allowable_values"):
        if value not in klass.allowable_values:
            raise bad(f'{path}: invalid value "{value}" for enum {type_name} (one of {", ".join(klass.allowable_values)})')
        return value
    return strict(value, type_name, path)


def parse_pipeline(spec, path):
    """An inline pipeline: a PipelineSpec, or {pipeline_spec, platform_spec} as the kfp SDK sends it."""
    if not isinstance(spec, dict):
        raise bad(f"{path}: expected an object")
    documents = spec if "pipeline_spec" in spec else {"pipeline_spec": spec}
    extra = set(documents) - {"pipeline_spec", "platform_spec"}
    if extra:
        raise bad(f"{path}: unknown field {sorted(extra)[0]} beside pipeline_spec")
    try:
        pipeline = json_format.ParseDict(documents["pipeline_spec"], pipeline_spec_pb2.PipelineSpec())
        platform = json_format.ParseDict(documents.get("platform_spec", {}), pipeline_spec_pb2.PlatformSpec())
    except json_format.ParseError as error:
        raise bad(f"{path}: the pipeline spec does not parse: {error}") from error
    if not pipeline.root.dag.tasks:
        raise bad(f"{path}: the pipeline has no tasks")
    return pipeline, platform


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def serialise(model):
    return kfp_server_api.ApiClient().sanitize_for_serialization(model)


class State:
    def __init__(self, options):
        self.options = options
        self.lock = threading.Lock()
        self.experiments = {}
        self.runs = {}
        self.specs = {}
        self.recurring = {}
        self.sessions = set()
        self.requests = []
        self.reads = {}


LOGIN_FORM = """<!DOCTYPE html><html><body><h2>Log in to Your Account</h2>{error}
<form method="post" action="/dex/auth/local/login?back=&amp;state={state}">
<input type="text" id="login" name="login" placeholder="email address">
<input type="password" id="password" name="password" placeholder="password">
<button type="submit" id="submit-login">Login</button></form></body></html>"""

CONNECTORS = """<!DOCTYPE html><html><body><h2>Log in to dex</h2>
<a href="/dex/auth/local?client_id=kubeflow-oidc-authservice&amp;state={state}">Log in with Email</a>
</body></html>"""


def make_handler(state):
    options = state.options

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # the test reads /_test/requests instead
            pass

        def send(self, status, body=None, headers=None, content_type="application/json"):
            data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
            self.send_response(status)
            for name, value in (headers or []):
                self.send_header(name, value)
            if body is not None:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True

        def error(self, failure):
            status = serialise(models.GoogleRpcStatus(code=failure.code, message=failure.message, details=[]))
            self.send(failure.status, status)

        def body(self):
            # Read once, for every request: a body left unread on a kept-alive connection would be taken
            # for the next request.
            if not hasattr(self, "_body"):
                length = int(self.headers.get("Content-Length") or 0)
                self._body = (self.rfile.read(length) if length else b"").decode()
            return self._body

        def json_body(self):
            raw = self.body()
            try:
                return json.loads(raw) if raw else {}
            except json.JSONDecodeError as error:
                raise bad(f"the body is not JSON: {error}") from error

        def cookies(self):
            jar = {}
            for part in (self.headers.get("Cookie") or "").split(";"):
                if "=" in part:
                    name, value = part.strip().split("=", 1)
                    jar[name] = value
            return jar

        # -- auth ---------------------------------------------------------------------------------------
        def authenticated(self):
            if options.auth == "token":
                if self.headers.get("Authorization") != f"Bearer {options.token}":
                    raise ApiError(401, 16, "Unauthenticated: the request has no valid bearer token")
            elif options.auth == "dex":
                if self.cookies().get("authservice_session") not in state.sessions:
                    state_id = secrets.token_hex(8)
                    self.send(302, None, [("Location", f"/dex/auth?client_id=kubeflow-oidc-authservice&state={state_id}")])
                    return False
            return True

        def dex(self, method, url):
            query = parse_qs(url.query)
            flow = (query.get("state") or ["x"])[0]
            if method == "GET" and url.path == "/dex/auth":
                return self.send(200, CONNECTORS.format(state=flow).encode(), content_type="text/html")
            if method == "GET" and url.path == "/dex/auth/local":
                return self.send(200, LOGIN_FORM.format(state=flow, error="").encode(), content_type="text/html")
            if method == "POST" and url.path == "/dex/auth/local/login":
                form = parse_qs(self.body())
                if form.get("login") == [options.user] and form.get("password") == [options.password]:
                    code = secrets.token_hex(8)
                    return self.send(303, None, [("Location", f"/authservice/oidc/callback?code={code}&state={flow}")])
                page = LOGIN_FORM.format(state=flow, error="<p>Invalid Email Address and password</p>")
                return self.send(200, page.encode(), content_type="text/html")
            if method == "GET" and url.path == "/authservice/oidc/callback":
                session = secrets.token_hex(16)
                state.sessions.add(session)
                return self.send(302, None, [("Set-Cookie", f"authservice_session={session}; Path=/; HttpOnly"),
                                             ("Location", "/")])
            return None

        def namespace_of(self, namespace, what):
            if not options.multi_user:
                return ""
            if not namespace:
                raise bad(f"In multi-user mode, {what} requires a namespace.")
            if namespace not in options.namespaces:
                raise ApiError(403, 7, f"PermissionDenied: User '{options.user or 'anonymous'}' is not authorized with reason: access to namespace '{namespace}' is denied")
            return namespace

        # -- routing ------------------------------------------------------------------------------------
        def handle_any(self, method):
            url = urlparse(self.path)
            if hasattr(self, "_body"):
                del self._body
            self.body()
            with state.lock:
                state.requests.append({"method": method, "path": url.path, "query": url.query})
            try:
                if url.path.startswith("/_test/"):
                    return self.test_control(method, url)
                if url.path.startswith(("/dex/", "/authservice/")):
                    if self.dex(method, url) is None:
                        raise ApiError(404, 5, "Not Found")
                    return None
                if url.path == "/" and method == "GET":
                    if options.auth == "dex" and not self.authenticated():
                        return None
                    return self.send(200, b"Kubeflow Central Dashboard", content_type="text/html")
                if not url.path.startswith(API):
                    raise ApiError(404, 5, "Not Found")
                if not self.authenticated():
                    return None
                with state.lock:
                    return self.api(method, url.path[len(API):], parse_qs(url.query))
            except ApiError as failure:
                return self.error(failure)

        def api(self, method, path, query):
            one = lambda name: (query.get(name) or [None])[0]  # noqa: E731
            if path == "healthz" and method == "GET":
                return self.send(200, serialise(models.V2beta1GetHealthzResponse(multi_user=options.multi_user)))
            if path == "experiments" and method == "POST":
                experiment = strict(self.json_body(), "V2beta1Experiment", "experiment")
                if not experiment.display_name:
                    raise bad("Experiment must have a non-empty name.")
                if experiment.experiment_id or experiment.created_at:
                    raise bad("experiment_id and created_at are set by the server.")
                namespace = self.namespace_of(experiment.namespace, "CreateExperiment")
                if any(e.display_name == experiment.display_name and (e.namespace or "") == namespace
                       for e in state.experiments.values()):
                    raise ApiError(409, 6, f"Already exist error: experiment '{experiment.display_name}' exists")
                experiment.experiment_id = str(uuid.uuid4())
                experiment.created_at = now()
                experiment.namespace = namespace or None
                experiment.storage_state = "AVAILABLE"
                state.experiments[experiment.experiment_id] = experiment
                return self.send(200, serialise(experiment))
            if path == "experiments" and method == "GET":
                namespace = self.namespace_of(one("namespace"), "ListExperiments")
                found = [e for e in state.experiments.values() if (e.namespace or "") == namespace]
                raw_filter = one("filter")
                if raw_filter:
                    try:
                        parsed = json.loads(raw_filter)
                    except json.JSONDecodeError as error:
                        raise bad(f"filter is not JSON: {error}") from error
                    for predicate in strict(parsed, "V2beta1Filter", "filter").predicates or []:
                        if predicate.operation != "EQUALS" or predicate.key not in ("display_name", "name"):
                            raise bad(f"filter: this contract server supports EQUALS on display_name only")
                        found = [e for e in found if e.display_name == predicate.string_value]
                size = int(one("page_size") or 20)
                return self.send(200, serialise(models.V2beta1ListExperimentsResponse(
                    experiments=found[:size], total_size=len(found))))
            match = re.fullmatch(r"experiments/([^/]+)", path)
            if match and method == "GET":
                return self.send(200, serialise(self.experiment(match.group(1))))
            if path == "runs" and method == "POST":
                body = self.json_body()
                run = strict(body, "V2beta1Run", "run")
                for server_field in ("run_id", "created_at", "state", "finished_at", "run_details"):
                    if getattr(run, server_field) is not None:
                        raise bad(f"run.{server_field} is set by the server.")
                if not run.display_name:
                    raise bad("A run needs a display name.")
                if (run.pipeline_spec is None) == (run.pipeline_version_reference is None):
                    raise bad("A run needs either a pipeline spec or a pipeline version reference.")
                experiment = self.experiment(run.experiment_id) if run.experiment_id else None
                if experiment is None:
                    raise bad("A run needs an experiment_id (this contract server has no default experiment).")
                self.namespace_of(experiment.namespace, "CreateRun")
                pipeline, platform = parse_pipeline(run.pipeline_spec, "run.pipeline_spec")
                run.run_id = str(uuid.uuid4())
                run.created_at = now()
                run.state = "PENDING"
                run.storage_state = "AVAILABLE"
                state.runs[run.run_id] = run
                state.specs[run.run_id] = {"pipelineSpec": json_format.MessageToDict(pipeline),
                                           "platformSpec": json_format.MessageToDict(platform),
                                           "raw": run.pipeline_spec, "namespace": experiment.namespace}
                return self.send(200, serialise(run))
            match = re.fullmatch(r"runs/([^/:]+)", path)
            if match and method == "GET":
                run = self.run(match.group(1))
                if options.auto_succeed and run.state not in FINAL:
                    reads = state.reads[run.run_id] = state.reads.get(run.run_id, 0) + 1
                    run.state = "RUNNING" if reads == 1 else "SUCCEEDED"
                    if run.state == "SUCCEEDED":
                        run.finished_at = now()
                return self.send(200, serialise(run))
            match = re.fullmatch(r"runs/([^/:]+):terminate", path)
            if match and method == "POST":
                run = self.run(match.group(1))
                if run.state in FINAL:
                    raise ApiError(400, 9, f"Failed precondition error: run {run.run_id} has ended ({run.state})")
                run.state = "CANCELING"
                return self.send(200, {})
            if path == "recurringruns" and method == "POST":
                recurring = strict(self.json_body(), "V2beta1RecurringRun", "recurring_run")
                if not recurring.display_name:
                    raise bad("A recurring run needs a display name.")
                cron = (recurring.trigger and recurring.trigger.cron_schedule and recurring.trigger.cron_schedule.cron) or ""
                if not (cron.startswith("@") or len(cron.split()) == 6):
                    raise bad(f"Invalid cron schedule '{cron}': KFP takes 6 fields, seconds first")
                experiment = self.experiment(recurring.experiment_id) if recurring.experiment_id else None
                if experiment is None:
                    raise bad("A recurring run needs an experiment_id.")
                namespace = self.namespace_of(recurring.namespace or experiment.namespace, "CreateRecurringRun")
                if options.multi_user and recurring.namespace != experiment.namespace:
                    raise bad("the recurring run's namespace differs from its experiment's")
                parse_pipeline(recurring.pipeline_spec, "recurring_run.pipeline_spec")
                if recurring.max_concurrency is not None and not (1 <= int(recurring.max_concurrency) <= 10):
                    raise bad("max_concurrency must be between 1 and 10")
                recurring.recurring_run_id = str(uuid.uuid4())
                recurring.created_at = recurring.updated_at = now()
                recurring.status = "ENABLED" if recurring.mode != "DISABLE" else "DISABLED"
                recurring.namespace = namespace or None
                state.recurring[recurring.recurring_run_id] = recurring
                return self.send(200, serialise(recurring))
            if path == "recurringruns" and method == "GET":
                namespace = self.namespace_of(one("namespace"), "ListRecurringRuns")
                found = [r for r in state.recurring.values() if (r.namespace or "") == namespace]
                size = int(one("page_size") or 20)
                start = int(one("page_token") or 0)
                page = found[start:start + size]
                token = str(start + size) if start + size < len(found) else None
                return self.send(200, serialise(models.V2beta1ListRecurringRunsResponse(
                    recurring_runs=page, total_size=len(found), next_page_token=token)))
            match = re.fullmatch(r"recurringruns/([^/:]+)", path)
            if match and method in ("GET", "DELETE"):
                recurring = state.recurring.get(match.group(1))
                if recurring is None:
                    raise ApiError(404, 5, f"Not found: recurring run {match.group(1)}")
                if method == "DELETE":
                    del state.recurring[match.group(1)]
                    return self.send(200, {})
                return self.send(200, serialise(recurring))
            raise ApiError(404, 5, "Not Found")

        def experiment(self, experiment_id):
            experiment = state.experiments.get(experiment_id)
            if experiment is None:
                raise ApiError(404, 5, f"Not found: experiment {experiment_id}")
            return experiment

        def run(self, run_id):
            run = state.runs.get(run_id)
            if run is None:
                raise ApiError(404, 5, f"Not found: run {run_id}")
            return run

        def test_control(self, method, url):
            with state.lock:
                if url.path == "/_test/requests":
                    return self.send(200, state.requests)
                if url.path == "/_test/runs" and method == "GET":
                    return self.send(200, [{"run": serialise(run), **state.specs[run_id]} for run_id, run in state.runs.items()])
                if url.path == "/_test/recurringruns" and method == "GET":
                    return self.send(200, [serialise(r) for r in state.recurring.values()])
                match = re.fullmatch(r"/_test/recurringruns/([^/]+)/trigger", url.path)
                if match and method == "POST":
                    # A tick of the recurring run, as KFP's scheduled-workflow controller makes one.
                    recurring = state.recurring.get(match.group(1))
                    if recurring is None:
                        raise ApiError(404, 5, f"Not found: recurring run {match.group(1)}")
                    pipeline, platform = parse_pipeline(recurring.pipeline_spec, "recurring_run.pipeline_spec")
                    run = models.V2beta1Run(run_id=str(uuid.uuid4()), display_name=f"{recurring.display_name}-tick",
                                            experiment_id=recurring.experiment_id, pipeline_spec=recurring.pipeline_spec,
                                            runtime_config=recurring.runtime_config, created_at=now(), state="PENDING",
                                            recurring_run_id=recurring.recurring_run_id, storage_state="AVAILABLE")
                    state.runs[run.run_id] = run
                    state.specs[run.run_id] = {"pipelineSpec": json_format.MessageToDict(pipeline),
                                               "platformSpec": json_format.MessageToDict(platform),
                                               "raw": recurring.pipeline_spec, "namespace": recurring.namespace}
                    return self.send(200, serialise(run))
                match = re.fullmatch(r"/_test/runs/([^/]+)/state", url.path)
                if match and method == "POST":
                    run = self.run(match.group(1))
                    body = self.json_body()
                    run.state = convert(body["state"], "V2beta1RuntimeState", "state")
                    if body.get("error"):
                        run.error = models.GoogleRpcStatus(code=2, message=body["error"], details=[])
                    if run.state in FINAL:
                        run.finished_at = now()
                    return self.send(200, serialise(run))
            raise ApiError(404, 5, "Not Found")

        def do_GET(self):  # noqa: N802
            self.handle_any("GET")

        def do_POST(self):  # noqa: N802
            self.handle_any("POST")

        def do_DELETE(self):  # noqa: N802
            self.handle_any("DELETE")

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--auth", choices=["none", "token", "dex"], default="none")
    parser.add_argument("--token")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--multi-user", action="store_true")
    parser.add_argument("--namespaces", default="")
    parser.add_argument("--auto-succeed", action="store_true")
    options = parser.parse_args()
    options.namespaces = [n for n in options.namespaces.split(",") if n]
    server = ThreadingHTTPServer((options.host, options.port), make_handler(State(options)))
    print(f"kfp contract server on http://{options.host}:{options.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
