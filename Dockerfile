# mlmesh services image: one image, the service chosen by the command.
# Build: docker build -t mlmesh .   (CPU onnxruntime; for CUDA build with
#        --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 on a host that can reach NVIDIA's binaries)
FROM node:20-bookworm-slim AS build
# better-sqlite3 is compiled here (.prebuild-installrc buildFromSource): node-gyp needs python3, make, g++.
# onnxruntime-node's post-install is denied in package.json allowScripts (it downloads from outside
# the npm registry); ONNXRUNTIME_NODE_INSTALL=cuda12 runs it explicitly after the install.
ARG ONNXRUNTIME_NODE_INSTALL=
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc .prebuild-installrc ./
RUN npm ci --no-audit --no-fund \
    && if [ -n "$ONNXRUNTIME_NODE_INSTALL" ]; then node node_modules/onnxruntime-node/script/install; fi
COPY tsconfig.json ./
COPY protos ./protos
COPY shared ./shared
COPY services ./services
COPY examples ./examples
COPY tools ./tools
COPY test ./test
RUN npx tsc -p . && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# WITH_TRAINING=1: the retrainer's image, with the example trainer's Python stack (Debian's
# PyTorch, onnx, numpy) for training commands that run in the container (docs/retrainer.md).
ARG WITH_TRAINING=
RUN if [ -n "$WITH_TRAINING" ]; then apt-get update && apt-get install -y --no-install-recommends python3 python3-torch python3-onnx python3-numpy && rm -rf /var/lib/apt/lists/*; fi
# In a container every service binds all interfaces.
ENV NODE_ENV=production \
    MLMESH_INFERENCE_HOST=0.0.0.0 \
    MLMESH_PREPROCESS_HOST=0.0.0.0 \
    MLMESH_FEATURES_HOST=0.0.0.0 \
    MLMESH_MONITOR_HOST=0.0.0.0 \
    MLMESH_INFERENCE_MODEL_REPOSITORY=/models \
    MLMESH_MONITOR_MODEL_REPOSITORY=/models
COPY --from=build /app/package.json /app/.npmrc ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/protos ./protos
COPY --from=build /app/examples/models /models
# Writable state of the services (named volumes take this ownership).
RUN mkdir -p /var/spool/mlmesh/inference /var/lib/mlmesh/monitor /var/lib/mlmesh/features /var/lib/mlmesh/preprocess/pipelines /var/lib/mlmesh/retrainer \
    && chown -R node:node /var/spool/mlmesh /var/lib/mlmesh
USER node
EXPOSE 8001 8002 8011 8012 8021 8022 8031 8032
# Healthy = gRPC health SERVING and /readyz 200 on the ports the service's own options give; the
# service is the one PID 1 runs (dist/services/<service>/main.js), so this fits every command.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 CMD ["node", "dist/tools/mesh/healthcheck.js"]
CMD ["node", "--enable-source-maps", "dist/services/inference/main.js"]
