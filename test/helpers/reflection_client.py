#!/usr/bin/python3
"""A grpcurl-like client that knows nothing of mlmesh's .proto files.

It does what grpcurl, Postman and Evans do with server reflection:

1. asks ``grpc.reflection.v1.ServerReflection`` for the services (``list_services``);
2. fetches the FileDescriptorProtos of each service (``file_containing_symbol``), and of any
   file named as a dependency but not yet sent (``file_by_filename``);
3. adds them, dependencies first, to a fresh ``google.protobuf.descriptor_pool.DescriptorPool``
   (protobuf's C++ implementation, the same checks as protoc: map entries, type resolution,
   imports);
4. optionally calls a unary method with a JSON request, encoded and decoded with message classes
   built from that pool alone.

Usage::

    reflection_client.py ADDRESS list
    reflection_client.py ADDRESS call SERVICE/METHOD JSON

Prints one JSON object on stdout: ``{"services": [...], "files": [...], "response": {...}}``,
or ``{"error": "...", "stage": "..."}`` with exit code 1 (``stage``: reflection, pool, call).
Needs Debian's python3-grpcio and python3-protobuf.
"""

import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.internal import api_implementation

F = descriptor_pb2.FieldDescriptorProto


def _field(name, number, ftype, type_name=None, label=F.LABEL_OPTIONAL, oneof=None):
    f = F(name=name, number=number, type=ftype, label=label, json_name=_camel(name))
    if type_name:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof
    return f


def _camel(name):
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _reflection_messages():
    """The reflection protocol's messages, written out here (grpc/reflection/v1/reflection.proto)."""
    pkg = ".grpc.reflection.v1."
    fdp = descriptor_pb2.FileDescriptorProto(
        name="mlmesh_test/reflection_v1.proto", package="grpc.reflection.v1", syntax="proto3")
    req = fdp.message_type.add(name="ServerReflectionRequest")
    req.oneof_decl.add(name="message_request")
    req.field.extend([
        _field("host", 1, F.TYPE_STRING),
        _field("file_by_filename", 3, F.TYPE_STRING, oneof=0),
        _field("file_containing_symbol", 4, F.TYPE_STRING, oneof=0),
        _field("list_services", 7, F.TYPE_STRING, oneof=0),
    ])
    res = fdp.message_type.add(name="ServerReflectionResponse")
    res.oneof_decl.add(name="message_response")
    res.field.extend([
        _field("valid_host", 1, F.TYPE_STRING),
        _field("original_request", 2, F.TYPE_MESSAGE, pkg + "ServerReflectionRequest"),
        _field("file_descriptor_response", 4, F.TYPE_MESSAGE, pkg + "FileDescriptorResponse", oneof=0),
        _field("list_services_response", 6, F.TYPE_MESSAGE, pkg + "ListServiceResponse", oneof=0),
        _field("error_response", 7, F.TYPE_MESSAGE, pkg + "ErrorResponse", oneof=0),
    ])
    fdr = fdp.message_type.add(name="FileDescriptorResponse")
    fdr.field.append(_field("file_descriptor_proto", 1, F.TYPE_BYTES, label=F.LABEL_REPEATED))
    lsr = fdp.message_type.add(name="ListServiceResponse")
    lsr.field.append(_field("service", 1, F.TYPE_MESSAGE, pkg + "ServiceResponse", label=F.LABEL_REPEATED))
    sr = fdp.message_type.add(name="ServiceResponse")
    sr.field.append(_field("name", 1, F.TYPE_STRING))
    er = fdp.message_type.add(name="ErrorResponse")
    er.field.extend([_field("error_code", 1, F.TYPE_INT32), _field("error_message", 2, F.TYPE_STRING)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return (_message_class(pool, "grpc.reflection.v1.ServerReflectionRequest"),
            _message_class(pool, "grpc.reflection.v1.ServerReflectionResponse"))


def _message_class(pool, full_name):
    desc = pool.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


class Failure(Exception):
    def __init__(self, stage, message):
        super().__init__(message)
        self.stage = stage


class Reflection:
    def __init__(self, channel):
        self.req_cls, self.res_cls = _reflection_messages()
        self.call = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=self.res_cls.FromString)

    def ask(self, **kw):
        responses = list(self.call(iter([self.req_cls(**kw)]), timeout=10))
        if len(responses) != 1:
            raise Failure("reflection", "expected one reflection response, got %d" % len(responses))
        r = responses[0]
        if r.WhichOneof("message_response") == "error_response":
            raise Failure("reflection", "reflection error %d: %s" % (r.error_response.error_code, r.error_response.error_message))
        return r


def fetch_pool(channel):
    refl = Reflection(channel)
    services = [s.name for s in refl.ask(list_services="*").list_services_response.service]
    files = {}

    def take(resp):
        for raw in resp.file_descriptor_response.file_descriptor_proto:
            fdp = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files.setdefault(fdp.name, fdp)

    for s in services:
        take(refl.ask(file_containing_symbol=s))
    # Dependencies the server named but did not send: ask for them by name, as grpcurl does.
    missing = True
    while missing:
        missing = [d for f in list(files.values()) for d in f.dependency if d not in files]
        for d in missing:
            take(refl.ask(file_by_filename=d))
            if d not in files:
                raise Failure("reflection", "file_by_filename(%r) did not return that file" % d)

    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(name, stack=()):
        if name in added:
            return
        if name in stack:
            raise Failure("pool", "import cycle through %s" % name)
        f = files[name]
        for d in f.dependency:
            add(d, stack + (name,))
        try:
            pool.Add(f)
        except Exception as e:  # the pool's own validation message is the point of the test
            raise Failure("pool", "%s: %s: %s" % (name, type(e).__name__, e))
        added.add(name)

    for name in sorted(files):
        add(name)
    # Building every message class resolves every type reference (what a client does before a call).
    for name in sorted(files):
        fd = pool.FindFileByName(name)
        for svc in fd.services_by_name.values():
            for m in svc.methods:
                _message_class(pool, m.input_type.full_name)
                _message_class(pool, m.output_type.full_name)
    return services, sorted(files), pool


def call(channel, pool, full_method, request_json):
    service, method = full_method.split("/", 1)
    try:
        m = pool.FindServiceByName(service).FindMethodByName(method)
    except KeyError as e:
        raise Failure("pool", "method %s not in the reflected descriptors: %s" % (full_method, e))
    req_cls = _message_class(pool, m.input_type.full_name)
    res_cls = _message_class(pool, m.output_type.full_name)
    req = json_format.Parse(request_json, req_cls())
    stub = channel.unary_unary("/%s/%s" % (service, method),
                               request_serializer=lambda x: x.SerializeToString(),
                               response_deserializer=res_cls.FromString)
    try:
        res = stub(req, timeout=10)
    except grpc.RpcError as e:
        raise Failure("call", "%s: %s" % (e.code().name, e.details()))
    return json_format.MessageToDict(res, preserving_proto_field_name=True)


def main(argv):
    if len(argv) < 3 or argv[2] not in ("list", "call"):
        sys.exit(__doc__)
    out = {"protobuf": api_implementation.Type()}
    code = 0
    with grpc.insecure_channel(argv[1]) as channel:
        try:
            out["services"], out["files"], pool = fetch_pool(channel)
            if argv[2] == "call":
                out["response"] = call(channel, pool, argv[3], argv[4])
        except Failure as e:
            out.update(error=str(e), stage=e.stage)
            code = 1
        except grpc.RpcError as e:
            out.update(error="%s: %s" % (e.code().name, e.details()), stage="reflection")
            code = 1
    print(json.dumps(out))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
