"""Run:ai's generated Python client (runapy 1.224.0), unchanged, against Rota.

Environment: ROTA_URL, ROTA_CLIENT_ID, ROTA_CLIENT_SECRET. Exits non-zero on the first failure.
"""
import os
import sys

import runai
from runai.api_client import ApiClient
from runai.configuration import Configuration
from runai.runai_client import RunaiClient


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


config = Configuration(
    client_id=os.environ["ROTA_CLIENT_ID"],
    client_secret=os.environ["ROTA_CLIENT_SECRET"],
    runai_base_url=os.environ["ROTA_URL"],
)
client = RunaiClient(ApiClient(config))

clusters = client.organizations.clusters.get_clusters().data
check(isinstance(clusters, list) and clusters and "uuid" in clusters[0], "clusters are listed with their uuid")
cluster_id = clusters[0]["uuid"]

projects = client.organizations.projects.get_projects().data["projects"]
by_name = {p["name"]: p for p in projects}
check({"team-a", "team-b"} <= set(by_name), "projects are listed")
team_a = by_name["team-a"]["id"]
team_b = by_name["team-b"]["id"]


def training(name, project, gpus, prefix=False):
    return runai.models.TrainingCreationRequest(
        name=name,
        use_given_name_as_prefix=prefix,
        project_id=project,
        cluster_id=cluster_id,
        spec=runai.models.TrainingSpecSpec(
            image="runai.jfrog.io/demo/quickstart",
            command="python",
            args="train.py --epochs 3",
            environment_variables=[runai.models.EnvironmentVariable(name="EPOCHS", value="3")],
            compute=runai.models.SupersetSpecAllOfCompute(gpu_devices_request=gpus, cpu_core_request=0.5, cpu_memory_request="1G"),
        ),
    )


created = client.workloads.trainings.create_training1(training_creation_request=training("a2", team_a, 2)).data
check(created["name"] == "a2" and created["id"], "a training is created from TrainingCreationRequest")
client.workloads.trainings.create_training1(training_creation_request=training("a1", team_a, 1))
client.workloads.trainings.create_training1(training_creation_request=training("b1", team_b, 1))
prefixed = client.workloads.trainings.create_training1(training_creation_request=training("sweep", team_b, 0, prefix=True)).data
check(prefixed["name"].startswith("sweep-") and len(prefixed["name"]) > len("sweep-"), "useGivenNameAsPrefix is honoured")

workspace = client.workloads.workspaces.create_workspace1(
    workspace_creation_request=runai.models.WorkspaceCreationRequest(
        name="notebook",
        project_id=team_b,
        cluster_id=cluster_id,
        spec=runai.models.WorkspaceSpecSpec(
            image="jupyter/scipy-notebook",
            compute=runai.models.SupersetSpecAllOfCompute(gpu_devices_request=0),
        ),
    )
).data
check(workspace["type"] == "Workspace", "a workspace is created from WorkspaceCreationRequest")

fetched = client.workloads.trainings.get_training(workload_id=created["id"]).data
check(fetched["id"] == created["id"] and fetched["projectName"] == "team-a", "a training is fetched by id")

page = client.workloads.workloads.get_workloads(offset=0, limit=2, sort_by="name", sort_order="asc").data
check([w["name"] for w in page["workloads"]] == ["a1", "a2"] and page.get("next") == 2, "get_workloads pages and sorts")
team_a_only = client.workloads.workloads.get_workloads(filter_by=["projectName==team-a"]).data["workloads"]
check(sorted(w["name"] for w in team_a_only) == ["a1", "a2"], "get_workloads filters with field==value")
both = client.workloads.workloads.get_workloads(filter_by=["projectName==team-b", "type==Workspace"]).data["workloads"]
check([w["name"] for w in both] == ["notebook"], "get_workloads takes several filters")
found = client.workloads.workloads.get_workloads(search="note").data["workloads"]
check([w["name"] for w in found] == ["notebook"], "get_workloads searches")

client.workloads.trainings.delete_training(workload_id=created["id"])
client.workloads.workspaces.delete_workspace(workload_id=workspace["id"])
left = sorted(w["name"] for w in client.workloads.workloads.get_workloads().data["workloads"])
check(left == sorted(["a1", "b1", prefixed["name"]]), "deleted workloads are gone")

try:
    client.workloads.trainings.create_training1(training_creation_request=training("Bad_Name", team_a, 1))
    check(False, "a bad name is refused")
except runai.exceptions.ApiException as e:
    check(e.status == 422, "a bad name is refused with 422")
print("runapy conformance: all passed")
