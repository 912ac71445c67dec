// Validates the deployment files: each Kubernetes manifest against its schema (kubernetes-models,
// @kubernetes-models/prometheus-operator), the Dockerfile with dockerfile-utils, and the
// contracts between them and prefork. Prints one line per file and exits 1 on any problem.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service } from 'kubernetes-models/v1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { validate as validateDockerfile } from 'dockerfile-utils';

const deploy = join(dirname(fileURLToPath(import.meta.url)), '..');
const models = { Deployment, Service, ServiceMonitor };
const problems = [];
const objects = [];

for (const name of readdirSync(join(deploy, 'k8s')).filter((f) => f.endsWith('.yaml')).sort()) {
  const file = join(deploy, 'k8s', name);
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (document.errors.length) {
      problems.push(`${name}: YAML: ${document.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const object = document.toJS();
    const Model = models[object?.kind];
    if (!Model) {
      problems.push(`${name}: no schema for kind ${object?.kind}`);
      continue;
    }
    try {
      new Model(object).validate();
      objects.push(object);
      console.log(`ok   ${name}: ${object.kind} ${object.metadata.name}`);
    } catch (error) {
      problems.push(`${name}: ${object.kind}: ${error.message}`);
    }
  }
}

// prefork's contracts: probes on the master's health groups, enough time to stop gracefully.
const deployment = objects.find((o) => o.kind === 'Deployment');
if (deployment) {
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
  const seconds = (value, fallback) => (value ? Number(/^(\d+)s$/.exec(value)?.[1] ?? NaN) : fallback);
  const graceful = seconds(env.PREFORK_GRACEFUL_TIMEOUT, 30);
  const preStop = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
  if (!(pod.terminationGracePeriodSeconds >= preStop + graceful + 10)) {
    problems.push(`deployment.yaml: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} < preStop ${preStop} s + graceful timeout ${graceful} s + 10 s to drain and exit`);
  }
  if (container.readinessProbe?.httpGet?.path !== '/actuator/health/readiness') {
    problems.push('deployment.yaml: the readiness probe must ask the master for /actuator/health/readiness');
  }
  if (container.livenessProbe?.httpGet?.path !== '/actuator/health/liveness') {
    problems.push('deployment.yaml: the liveness probe must ask the master for /actuator/health/liveness');
  }
  const management = container.ports.find((p) => p.name === 'management');
  const annotations = deployment.spec.template.metadata.annotations ?? {};
  if (String(management?.containerPort) !== annotations['prometheus.io/port']) {
    problems.push('deployment.yaml: prometheus.io/port must be the management port');
  }
  const service = objects.find((o) => o.kind === 'Service');
  const selector = service?.spec.selector ?? {};
  const labels = deployment.spec.template.metadata.labels;
  if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    problems.push('service.yaml: the selector does not match the pods');
  }
}

const dockerfile = readFileSync(join(deploy, 'docker', 'Dockerfile'), 'utf8');
const diagnostics = validateDockerfile(dockerfile);
for (const d of diagnostics) {
  problems.push(`Dockerfile:${d.range.start.line + 1}: ${d.message}`);
}
if (!/ENTRYPOINT \[.*"exec java/.test(dockerfile)) {
  problems.push('Dockerfile: the entry point must exec java, so that the master is PID 1 and gets SIGTERM');
}
if (!diagnostics.length) {
  console.log('ok   Dockerfile');
}

for (const problem of problems) {
  console.log(`FAIL ${problem}`);
}
console.log(`${objects.length + (diagnostics.length ? 0 : 1)} passed, ${problems.length} failed`);
process.exit(problems.length ? 1 : 0);
