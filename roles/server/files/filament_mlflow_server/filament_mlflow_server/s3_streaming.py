"""Proxied uploads to S3 streamed into the bucket as the request body arrives.

MLflow's own S3 repository first writes the whole upload to a temporary file and only then sends
it to the bucket, so an upload takes the time to receive it plus the time to store it. This one
hands the request body to a multipart upload as it arrives: both happen at once, and nothing is
written to disk.
"""

import asyncio
import collections
import ipaddress
import posixpath
import queue
import threading
from mimetypes import guess_type
from urllib.parse import urlsplit

# Parts of 8 MiB, at most 4 in flight, and up to 4 MiB of received body queued: an upload holds
# about 40 MiB of memory however large the artifact is.
PART_SIZE = 8 * 1024 * 1024
PART_CONCURRENCY = 4
QUEUE_CHUNKS = 64
_END = object()


class QueueReader:
    """A file-like object boto3 reads the body from, fed chunk by chunk from the event loop.
    A chunk that is an exception is raised here, which makes boto3 abort the multipart upload.
    `taken` is called after every chunk taken, to tell the event loop there is room again."""

    def __init__(self, chunks, taken):
        self._chunks = chunks
        self._taken = taken
        self._held = collections.deque()
        self._held_size = 0
        self._done = False

    def readable(self):
        return True

    def read(self, size=-1):
        whole = size is None or size < 0
        while not self._done and (whole or self._held_size < size):
            chunk = self._chunks.get()
            self._taken()
            if chunk is _END:
                self._done = True
            elif isinstance(chunk, BaseException):
                raise chunk
            else:
                self._held.append(chunk)
                self._held_size += len(chunk)
        if whole or size >= self._held_size:
            data = b"".join(self._held)
            self._held.clear()
            self._held_size = 0
            return data
        # One copy of the bytes handed out; only a chunk split at the edge is copied twice.
        parts, wanted = [], size
        while wanted > 0:
            chunk = self._held.popleft()
            if len(chunk) > wanted:
                parts.append(chunk[:wanted])
                self._held.appendleft(chunk[wanted:])
                wanted = 0
            else:
                parts.append(chunk)
                wanted -= len(chunk)
        self._held_size -= size
        return b"".join(parts)


def on_loopback(endpoint_url):
    """Whether an endpoint URL names this host (localhost, 127.0.0.0/8 or ::1)."""
    host = urlsplit(endpoint_url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unsigned_payload(request, **_kwargs):
    """botocore before-sign hook: send the part with UNSIGNED-PAYLOAD instead of its sha256.

    Over plain HTTP botocore hashes every byte of a part to sign it; over HTTPS it leaves that to
    TLS and the CRC32 checksum it sends anyway. To a bucket on this host there is no network to
    protect the bytes on, so the parts are sent as over HTTPS: the CRC32 still goes with them and
    the bucket still checks it. Both ends save the pass over the body (about 0.1 s of CPU per
    100 MB on each side)."""
    from botocore.config import Config

    config = request.context.get("client_config")
    if config is not None:
        request.context["client_config"] = config.merge(
            Config(s3=dict(config.s3 or {}, payload_signing_enabled=False)))


def streaming_s3_repository_class():
    from boto3.s3.transfer import TransferConfig
    from mlflow.store.artifact.artifact_repo import StreamUploadMixin
    from mlflow.store.artifact.s3_artifact_repo import S3ArtifactRepository

    class StreamingS3ArtifactRepository(S3ArtifactRepository, StreamUploadMixin):
        """MLflow's S3 repository, plus uploads streamed from the request into the bucket, and its
        presigned URLs on the site's address where presigned transfers are on (presigned.py)."""

        def _stream_to_bucket(self, stream, artifact_file_name, artifact_path=None):
            bucket, dest_path = self.parse_s3_compliant_uri(self.artifact_uri)
            if artifact_path:
                dest_path = posixpath.join(dest_path, artifact_path)
            key = posixpath.join(dest_path, posixpath.basename(artifact_file_name))
            # The same object metadata as MLflow's own upload_file path.
            extra_args = {}
            guessed_type, guessed_encoding = guess_type(artifact_file_name)
            if guessed_type is not None:
                extra_args["ContentType"] = guessed_type
            if guessed_encoding is not None:
                extra_args["ContentEncoding"] = guessed_encoding
            extra_args.update(self._bucket_owner_params)
            extra_args.update(self.get_s3_file_upload_extra_args() or {})
            config = TransferConfig(multipart_chunksize=PART_SIZE, max_concurrency=PART_CONCURRENCY)
            client = self._get_s3_client()
            if client.meta.endpoint_url.startswith("http:") and on_loopback(client.meta.endpoint_url):
                client.meta.events.register("before-sign.s3.UploadPart", unsigned_payload,
                                            unique_id="filament-unsigned-payload")
            client.upload_fileobj(stream, bucket, key, ExtraArgs=extra_args, Config=config)

        def _on_site_address(self, url, host=None):
            """A presigned URL moved to the site's address (presigned.py); as it is where that is off.
            host: the Host the client used; the Flask request's by default."""
            from flask import has_request_context, request
            from mlflow.exceptions import MlflowException

            from filament_mlflow_server.presigned import NotOnSiteAddress, on_site_address, prefix

            if not prefix():
                return url
            if host is None:
                host = request.host if has_request_context() else ""
            try:
                return on_site_address(url, self._get_s3_client().meta.endpoint_url, host, prefix())
            except NotOnSiteAddress as error:
                raise MlflowException(f"Cannot hand out a presigned URL through the site's address: {error}") from None

        def create_multipart_upload(self, local_file, num_parts=1, artifact_path=None):
            response = super().create_multipart_upload(local_file, num_parts, artifact_path)
            for credential in response.credentials:
                credential.url = self._on_site_address(credential.url)
            return response

        def get_download_presigned_url(self, artifact_path, expiration=300):
            response = super().get_download_presigned_url(artifact_path, expiration)
            response.url = self._on_site_address(response.url)
            return response

        def presigned_download(self, artifact_path, host):
            """(the URL on the site's address, the headers that name the proxy's request of the
            store: presigned.store_request) of a GET of the artifact, presigned for a minute, with
            the Content-Type and the attachment name MLflow's own download route gives it; None
            where the artifact is not one object of the bucket."""
            from botocore.exceptions import ClientError
            from mlflow.store.artifact.s3_artifact_repo import _attachment_content_disposition
            from mlflow.utils.mime_type_utils import _guess_mime_type

            from filament_mlflow_server.presigned import DOWNLOAD_EXPIRY, store_request

            bucket, dest_path = self.parse_s3_compliant_uri(self.artifact_uri)
            key = posixpath.join(dest_path, artifact_path) if artifact_path else dest_path
            client = self._get_s3_client()
            try:
                client.head_object(Bucket=bucket, Key=key, **self._bucket_owner_params)
            except ClientError:
                return None  # a directory, or missing: MLflow's route says which
            name = posixpath.basename(key)
            url = client.generate_presigned_url("get_object", ExpiresIn=DOWNLOAD_EXPIRY, Params={
                "Bucket": bucket, "Key": key, **self._bucket_owner_params,
                "ResponseContentType": _guess_mime_type(name),
                "ResponseContentDisposition": _attachment_content_disposition(name)})
            return self._on_site_address(url, host), store_request(url, client.meta.endpoint_url)

        def log_artifact_from_stream(self, stream, artifact_file_name, artifact_path=None):
            self._stream_to_bucket(stream, artifact_file_name, artifact_path)

        async def log_artifact_from_async_stream(self, chunks, artifact_file_name, artifact_path=None):
            loop = asyncio.get_running_loop()
            pending = queue.Queue(maxsize=QUEUE_CHUNKS)
            room = asyncio.Event()
            upload = loop.create_future()

            def settle(error):
                if not upload.done():
                    if error is None:
                        upload.set_result(None)
                    else:
                        upload.set_exception(error)
                room.set()

            def store():
                # Its own thread, not the loop's shared executor: an upload waits for the body as
                # long as the client takes to send it, and must never hold up anyone else.
                error = None
                try:
                    reader = QueueReader(pending, lambda: loop.call_soon_threadsafe(room.set))
                    self._stream_to_bucket(reader, artifact_file_name, artifact_path)
                except BaseException as failure:  # handed to the request, which reports it
                    error = failure
                loop.call_soon_threadsafe(settle, error)

            async def hand_over(item):
                # False once the upload has stopped (it failed): nobody reads any more.
                while not upload.done():
                    room.clear()
                    try:
                        pending.put_nowait(item)
                        return True
                    except queue.Full:
                        await room.wait()
                return False

            threading.Thread(target=store, name="filament-s3-upload", daemon=True).start()
            try:
                async for chunk in chunks:
                    if chunk and not await hand_over(chunk):
                        break
            except BaseException as error:
                # The client went away or the body broke off: abort, store nothing.
                await hand_over(error)
                try:
                    await upload
                except BaseException:
                    pass
                raise
            await hand_over(_END)
            await upload

    return StreamingS3ArtifactRepository
