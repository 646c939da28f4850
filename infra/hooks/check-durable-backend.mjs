#!/usr/bin/env node
// azd predeploy hook: host.json and the provisioned Durable Functions backend must agree.
//
// infra/ provisions the backend chosen by DURABLE_BACKEND (AzureStorage, the default, or
// DurableTaskScheduler), but which backend the app uses is host.json's
// extensions.durableTask.storageProvider, one file for both. This check refuses a deploy whose
// host.json would use a backend that was not provisioned (the app could not run orchestrations)
// and warns when a scheduler was provisioned but host.json still uses Azure Storage.
// azd passes the environment's values (main.bicep outputs included) as environment variables.
//
//   node infra/hooks/check-durable-backend.mjs          (HOST_JSON overrides the host.json path)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DTS_CONNECTION = 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING';
const hostJsonPath = process.env.HOST_JSON || fileURLToPath(new URL('../../host.json', import.meta.url));
const backend = process.env.DURABLE_BACKEND || 'AzureStorage';
const hubName = process.env.DURABLE_TASK_HUB_NAME;

let durableTask;
try {
  durableTask = JSON.parse(readFileSync(hostJsonPath, 'utf8')).extensions?.durableTask ?? {};
} catch (error) {
  console.error(`check-durable-backend: cannot read ${hostJsonPath}: ${error.message}`);
  process.exit(1);
}
const provider = durableTask.storageProvider ?? {};
const hostUsesDts = String(provider.type ?? '').toLowerCase() === 'azuremanaged';
const problems = [];

if (backend !== 'AzureStorage' && backend !== 'DurableTaskScheduler') {
  problems.push(`DURABLE_BACKEND is "${backend}"; expected AzureStorage or DurableTaskScheduler.`);
} else if (hostUsesDts && backend !== 'DurableTaskScheduler') {
  problems.push(
    'host.json uses the Durable Task Scheduler (storageProvider.type azureManaged), but this environment provisioned ' +
      'the Azure Storage backend. Run `azd env set DURABLE_BACKEND DurableTaskScheduler` and `azd provision`, ' +
      'or put storageProvider back to {"type": "AzureStorage"}.',
  );
} else if (hostUsesDts && provider.connectionStringName !== DTS_CONNECTION) {
  problems.push(
    `host.json storageProvider.connectionStringName must be "${DTS_CONNECTION}" (the app setting infra sets).`,
  );
}
if (hostUsesDts && hubName && durableTask.hubName !== hubName) {
  problems.push(`host.json hubName "${durableTask.hubName}" is not the provisioned task hub "${hubName}".`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`check-durable-backend: ${problem}`);
  process.exit(1);
}
if (!hostUsesDts && backend === 'DurableTaskScheduler') {
  console.warn(
    'check-durable-backend: a Durable Task Scheduler was provisioned, but host.json still uses Azure Storage, ' +
      'so the app keeps using Azure Storage. Change host.json as infra/README.md shows to use the scheduler.',
  );
}
console.log(
  `check-durable-backend: host.json ${hostUsesDts ? 'azureManaged' : 'AzureStorage'}, provisioned ${backend}: ok`,
);
