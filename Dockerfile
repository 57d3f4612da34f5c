# syntax=docker/dockerfile:1
#
# The LambdaInvocation operator's image.
#
#   docker build -t <registry>/lambda-invocation-operator:<tag> .
#
# Stage 1 builds the operator's shaded jar with Maven on JDK 17; stage 2 runs it on a JRE 17 as a non-root
# numeric user, and needs nothing writable but /tmp (mount an emptyDir there, as deploy/ does), so it
# runs with readOnlyRootFilesystem and under Pod Security "restricted".

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
# Dependencies first: this layer is rebuilt only when pom.xml changes.
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline
COPY src ./src
COPY crds ./crds
# Writes target/lambda-invocation-operator.jar (<finalName>${project.artifactId}</finalName>, shaded)
# without the sandbox and its mock API server; the sandbox's own jar is not built here.
RUN mvn -B -q package -DskipTests -Dsandbox.jar.skip=true

FROM eclipse-temurin:17-jre
LABEL org.opencontainers.image.title="lambda-invocation-operator" \
      org.opencontainers.image.description="Kubernetes operator that invokes AWS Lambda functions and writes the result into a short-lived Secret"
WORKDIR /app
# Only the shaded jar; owned by root and world-readable, so any non-root UID (OpenShift's too) can run it.
COPY --from=build /build/target/lambda-invocation-operator.jar /app/operator.jar
# Health (/livez, /readyz) and Prometheus metrics (/metrics) on one port.
ENV HTTP_PORT=8080
EXPOSE 8080
# A numeric UID:GID, so Kubernetes can verify runAsNonRoot without an /etc/passwd entry.
USER 65532:65532
# Container-aware heap (75% of the memory limit), exit on OutOfMemoryError so Kubernetes restarts the
# pod instead of leaving a half-dead JVM, and temp files in /tmp (an emptyDir: the root is read-only).
# Extra JVM flags go in JAVA_TOOL_OPTIONS; arguments (default: run) go in the container's args.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=/tmp", "-jar", "/app/operator.jar"]
CMD ["run"]
