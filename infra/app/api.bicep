// The Flex Consumption Function App (AVM web/site), in the shape of app/api.bicep from
// Azure-Samples/functions-quickstart-typescript-azd, with this app's settings. Keyless: the
// user-assigned identity reaches storage, Application Insights, Azure OpenAI and the Durable
// Task Scheduler; no account keys, no secrets in settings.
param name string
param location string = resourceGroup().location
param tags object = {}
param applicationInsightsName string
param appServicePlanId string
param runtimeName string
param runtimeVersion string
param instanceMemoryMB int = 2048
param maximumInstanceCount int = 100
param storageAccountName string
param deploymentStorageContainerName string
param identityId string
param identityClientId string
param openAiEndpoint string
param soraJobsDeployment string
param soraVideosDeployment string
param videoContainerName string
@description('Endpoint of the Durable Task Scheduler; empty = Azure Storage backend.')
param dtsEndpoint string = ''

resource stg 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Exactly the settings src/config.ts reads, plus the host's identity-based storage and
// Application Insights settings (test/infra/consistency.test.ts checks the names).
// AZURE_OPENAI_API_KEY is deliberately absent: the app then uses its managed identity.
var appSettings = {
  AzureWebJobsStorage__blobServiceUri: stg.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: stg.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: stg.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
  AZURE_OPENAI_ENDPOINT: openAiEndpoint
  SORA_JOBS_DEPLOYMENT: soraJobsDeployment
  SORA_VIDEOS_DEPLOYMENT: soraVideosDeployment
  VIDEO_STORAGE__blobServiceUri: stg.properties.primaryEndpoints.blob
  VIDEO_STORAGE__credential: 'managedidentity'
  VIDEO_STORAGE__clientId: identityClientId
  VIDEO_CONTAINER: videoContainerName
  VIDEO_DEADLINE_MINUTES: '30'
  POLL_MIN_SECONDS: '2'
  POLL_MAX_SECONDS: '30'
  SAS_TTL_MINUTES: '60'
  SORA_REQUEST_TIMEOUT_SECONDS: '30'
}

// Durable Task Scheduler backend only: the connection host.json names in
// storageProvider.connectionStringName when its type is azureManaged (infra/README.md).
var dtsAppSettings = empty(dtsEndpoint) ? {} : {
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${dtsEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
}

module api 'br/public:avm/res/web/site:0.15.1' = {
  name: 'api-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    serverFarmResourceId: appServicePlanId
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [
        identityId
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${stg.properties.primaryEndpoints.blob}${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
    }
    httpsOnly: true
    appSettingsKeyValuePairs: union(appSettings, dtsAppSettings)
  }
}

output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_ENDPOINT string = 'https://${api.outputs.defaultHostname}'
output blobServiceUri string = stg.properties.primaryEndpoints.blob
