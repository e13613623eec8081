# kanava in a container: `docker compose up` (see README: Matrix with docker compose).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin kanava

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/kanava kanava
COPY --from=build /src/target/release/kanava /usr/local/bin/kanava
COPY knowledge /opt/kanava/knowledge
USER kanava
WORKDIR /var/lib/kanava
# Inside the container kanava listens on every interface; the compose file publishes it on the
# host's loopback only.
ENV KANAVA_STORAGE_DATA_DIR=/var/lib/kanava/data \
    KANAVA_KNOWLEDGE_DIR=/opt/kanava/knowledge \
    KANAVA_SERVER_LISTEN=0.0.0.0:8080
VOLUME /var/lib/kanava/data
EXPOSE 8080
CMD ["kanava", "serve"]
