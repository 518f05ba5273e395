# hpa-operator image: `make image`. The build stage runs the same `make release` as everyone
# else; the runtime stage is Debian slim with exactly the shared libraries the binary needs
# (checked by `make test`: Tests/CLITests/ImageTests.swift), a non-root user, and the binary.

FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY . .
RUN make release

FROM debian:bookworm-slim
# libcurl4 and libssl3 (certificates for the metrics API): the binary's shared libraries beyond
# libc, libm, libgcc and libstdc++ (all in the base image); ca-certificates: trust for https
# Prometheus servers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/.build/release/hpa-operator /usr/local/bin/hpa-operator
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/hpa-operator"]
CMD ["run"]
