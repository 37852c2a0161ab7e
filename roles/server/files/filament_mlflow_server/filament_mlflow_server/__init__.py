"""The MLflow tracking server of filament.mlflow.server, as the role installs it in the virtualenv.

Its parts, each in its own module:
- ``server_info``: the ASGI app ``mlflow server --app-name filament-proxied`` runs: MLflow's own app,
  with the presigned transfer capabilities switched off in its server-info answer, so that clients
  keep artifact transfers proxied through the server (``filament-proxied-auth``: the same around
  MLflow's basic-auth app, made by ``auth_app`` below, whose UI files ``signed_in`` keeps for
  signed-in users);
- ``hooks``: MLflow's two per-request hooks (workspaces, gateway timing) as plain ASGI for the
  requests they have no work on, put in place by both apps before their first request;
- ``launcher``: ``filament-mlflow-server``, which is ``mlflow server`` that becomes uvicorn instead
  of waiting beside it;
- ``s3_streaming``: an S3 artifact repository that streams proxied uploads into a multipart upload
  as the request body arrives, registered for the s3 scheme;
- ``presigned``: where the proxy runs on the store's host (server_presigned_through_proxy), large
  uploads in presigned parts and every download of one object passed by the proxy straight to and
  from the store, on the site's own address.

The names below are what the package's entry points (pyproject.toml) refer to. MLflow and boto3 are
imported on first use, so that ``mlflow server`` itself, which only needs ``app``, stays light.
"""

from filament_mlflow_server.launcher import main
from filament_mlflow_server.server_info import ProxiedArtifactsOnly

app = ProxiedArtifactsOnly()


def auth_app():
    """``mlflow server --app-name filament-proxied-auth``: MLflow's basic-auth app (users and their
    permissions, configured by MLFLOW_AUTH_CONFIG_PATH), with artifact transfers kept proxied.

    A factory: uvicorn calls it in each worker, where MLflow's auth app is made."""
    from mlflow.server.auth import create_app

    from filament_mlflow_server.hooks import lighten
    from filament_mlflow_server.presigned import hand_downloads_to_proxy
    from filament_mlflow_server.signed_in import SignedInStaticFiles

    inner = create_app()
    lighten(inner)
    hand_downloads_to_proxy(inner)
    return ProxiedArtifactsOnly(SignedInStaticFiles(inner))


__all__ = ["app", "auth_app", "main"]  # and StreamingS3ArtifactRepository, made on first use (below)


def __getattr__(name):
    # MLflow's artifact repository registry asks for the class by name when an s3:// URI is used.
    if name == "StreamingS3ArtifactRepository":
        from filament_mlflow_server.s3_streaming import streaming_s3_repository_class

        cls = streaming_s3_repository_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
