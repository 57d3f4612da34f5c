# syntax=docker/dockerfile:1
#
# The LambdaInvocation operator's image.
#
#   docker build -t <registry>/lambda-invocation-operator:<tag> .
#
# Stage 1 builds the operator's shaded jar with Maven on JDK 17, and links a Java runtime of just the
# JDK modules the jar needs (src/main/jlink/modules.txt); stage 2 is a slim Debian with that runtime
# and the jar, run as a non-root numeric user. It needs nothing writable but /tmp (mount an emptyDir
# there, as deploy/ does), so it runs with readOnlyRootFilesystem and under Pod Security
# "restricted".
#
# Base images are pinned by digest (the multi-platform index), with the tag it was taken from; to
# move to a newer one, take the tag's digest now (`docker buildx imagetools inspect <tag>` or
# `crane digest <tag>`) and replace both.

FROM maven:3.9.16-eclipse-temurin-17@sha256:1a352420f7aba21f5ad08df31bab55f74c013fb491f1ae8ab1dd7ff9ed698584 AS build
WORKDIR /build
# Dependencies first: this layer is rebuilt only when pom.xml changes. The local repository is a
# BuildKit cache mount, kept between builds and never part of an image.
COPY pom.xml ./
RUN --mount=type=cache,target=/root/.m2 mvn -B -q dependency:go-offline
COPY src ./src
COPY crds ./crds
# Writes target/lambda-invocation-operator.jar (<finalName>${project.artifactId}</finalName>, shaded)
# without the sandbox and its mock API server; the sandbox's own jar is not built here.
RUN --mount=type=cache,target=/root/.m2 mvn -B -q package -DskipTests -Dsandbox.jar.skip=true
# The runtime: the modules of src/main/jlink/modules.txt and what they require, from this stage's
# JDK (JlinkRuntimeIT checks the list against jdeps and starts the jar on the same runtime).
RUN jlink --add-modules "$(sed 's/#.*//' src/main/jlink/modules.txt | xargs | tr ' ' ',')" \
      --strip-debug --no-header-files --no-man-pages --compress=2 --output /build/java

FROM debian:bookworm-20260316-slim@sha256:f06537653ac770703bc45b4b113475bd402f451e85223f0f2837acbf89ab020a
LABEL org.opencontainers.image.title="lambda-invocation-operator" \
      org.opencontainers.image.description="Kubernetes operator that invokes AWS Lambda functions and writes the result into a short-lived Secret"
WORKDIR /app
# The runtime and the jar, owned by root and world-readable, so any non-root UID (OpenShift's too)
# runs them. The runtime brings its own CA certificates (lib/security/cacerts).
COPY --from=build /build/java /opt/java
COPY --from=build /build/target/lambda-invocation-operator.jar /app/operator.jar
ENV JAVA_HOME=/opt/java
# Health (/livez, /readyz) and Prometheus metrics (/metrics) on one port.
ENV HTTP_PORT=8080
EXPOSE 8080
# A numeric UID:GID, so Kubernetes can verify runAsNonRoot without an /etc/passwd entry.
USER 65532:65532
# Container-aware heap (75% of the memory limit), exit on OutOfMemoryError so Kubernetes restarts the
# pod instead of leaving a half-dead JVM, and temp files in /tmp (an emptyDir: the root is read-only).
# Extra JVM flags go in JAVA_TOOL_OPTIONS; arguments (default: run) go in the container's args.
ENTRYPOINT ["/opt/java/bin/java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp", "-jar", "/app/operator.jar"]
CMD ["run"]
