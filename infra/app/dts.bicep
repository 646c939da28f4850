// Durable Task Scheduler and its task hub, for durableBackend = 'DurableTaskScheduler'
// (in the shape of app/dts.bicep from Azure-Samples/durable-functions-quickstart-typescript-azd).
// Plain resources: there is no AVM module for Microsoft.DurableTask. API version and
// properties: Azure/bicep-types-az generated/durabletask/microsoft.durabletask/2026-02-01.
param name string
param taskHubName string
param location string
param tags object = {}

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // Required; an empty list denies all traffic. Flex Consumption has no fixed outbound
    // addresses, so allow all: every call is still authenticated with Entra ID (no keys exist).
    ipAllowlist: [
      '0.0.0.0/0'
    ]
    sku: {
      name: 'Consumption'
    }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' = {
  parent: scheduler
  name: taskHubName
}

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
