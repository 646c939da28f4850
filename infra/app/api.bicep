// The Flex Consumption Function App (AVM web/site), in the shape of app/api.bicep from
// Azure-Samples/functions-quickstart-typescript-azd, with this app's settings. The user-assigned
// identity reaches storage, Application Insights, Key Vault, Azure OpenAI and the Durable Task
// Scheduler; no account keys. Provider keys and the app's secrets are Key Vault references,
// never values, in the settings.
param name string
param location string = resourceGroup().location
param tags object = {}
param applicationInsightsName string
param appServicePlanId string
param runtimeName string
param runtimeVersion string
param instanceMemoryMB int = 2048
param maximumInstanceCount int = 100
@description('Host storage (AzureWebJobsStorage) and the deployment package container.')
param storageAccountName string
param deploymentStorageContainerName string
@description('The account holding the videos container (VIDEO_STORAGE__blobServiceUri).')
param videoStorageAccountName string
param identityId string
param identityClientId string
@description('The provider a request gets when it names none (DEFAULT_PROVIDER).')
param defaultProvider string
@description('Azure OpenAI endpoint; empty = no Azure OpenAI settings (that provider is not configured).')
param openAiEndpoint string = ''
param soraJobsDeployment string
param soraVideosDeployment string
@description('OPENAI_BASE_URL; empty = not set (the app defaults to https://api.openai.com/v1).')
param openAiBaseUrl string = ''
@description('Plain fields of named provider instances, "<name>__<FIELD>": value.')
param providerInstanceSettings object = {}
param videoContainerName string
@description('Vault URI (https://<name>.vault.azure.net/).')
param keyVaultUri string
@description('App setting name -> Key Vault secret name, for each secret that was given.')
param secretSettings object
@description('Log Analytics workspace for the app\'s diagnostic settings.')
param logAnalyticsWorkspaceId string
@description('Endpoint of the Durable Task Scheduler; empty = Azure Storage backend.')
param dtsEndpoint string = ''

resource stg 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource videoStg 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: videoStorageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Settings src/config.ts reads, plus the host's identity-based storage and Application Insights
// settings (test/infra/consistency.test.ts checks the names both ways). AZURE_OPENAI_API_KEY is
// deliberately absent: the app then uses its managed identity.
var appSettings = {
  AzureWebJobsStorage__blobServiceUri: stg.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: stg.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: stg.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  AZURE_CLIENT_ID: identityClientId
  DEFAULT_PROVIDER: defaultProvider
  VIDEO_STORAGE__blobServiceUri: videoStg.properties.primaryEndpoints.blob
  VIDEO_STORAGE__credential: 'managedidentity'
  VIDEO_STORAGE__clientId: identityClientId
  VIDEO_CONTAINER: videoContainerName
  VIDEO_DEADLINE_MINUTES: '30'
  POLL_MIN_SECONDS: '2'
  POLL_MAX_SECONDS: '30'
  SAS_TTL_MINUTES: '60'
  PROVIDER_REQUEST_TIMEOUT_SECONDS: '30'
  // Uploads live a day unless a request holds one longer; the sweep deletes expired ones every 10 min.
  UPLOAD_TTL_HOURS: '24'
  UPLOAD_SWEEP_SCHEDULE: '0 */10 * * * *'
  // The host's own cap on a request body (11 MiB; its default is 100 MB): just above the largest
  // route limit, POST /api/uploads' 10 MiB image. Each route reads only up to its own limit
  // (src/functions/read-body.ts, src/uploads/receive-image.ts); this bounds what the host takes in.
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '11534336'
}

// Azure OpenAI only when an account exists (the app configures that provider when the endpoint is set).
var openAiAppSettings = empty(openAiEndpoint) ? {} : {
  AZURE_OPENAI_ENDPOINT: openAiEndpoint
  SORA_JOBS_DEPLOYMENT: soraJobsDeployment
  SORA_VIDEOS_DEPLOYMENT: soraVideosDeployment
}

// Only when given; otherwise the app's default applies.
var openAiBaseUrlSettings = empty(openAiBaseUrl) ? {} : {
  OPENAI_BASE_URL: openAiBaseUrl
}

// Named provider instances' plain fields: VIDEO_PROVIDERS__<name>__<FIELD> (their keys are
// Key Vault references, below).
var providerInstanceAppSettings = toObject(
  items(providerInstanceSettings),
  entry => 'VIDEO_PROVIDERS__${entry.key}',
  entry => string(entry.value)
)

// Each secret as a Key Vault reference (versionless: the app picks up a new version within a day,
// or at its next restart), resolved by the platform with keyVaultReferenceIdentity below.
var keyVaultReferences = toObject(
  items(secretSettings),
  entry => entry.key,
  entry => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${entry.value}/)'
)

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
    // Key Vault references resolve with the user-assigned identity (it has Key Vault Secrets User).
    keyVaultAccessIdentityResourceId: identityId
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      // No FTP(S) at all; deployments use the publish API with Entra ID (azd), not FTP.
      ftpsState: 'Disabled'
    }
    httpsOnly: true
    // No basic (user name + password) publishing credentials, for FTP or for the SCM site.
    basicPublishingCredentialsPolicies: [
      {
        name: 'ftp'
        allow: false
      }
      {
        name: 'scm'
        allow: false
      }
    ]
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalyticsWorkspaceId
      }
    ]
    appSettingsKeyValuePairs: union(
      appSettings,
      openAiAppSettings,
      openAiBaseUrlSettings,
      providerInstanceAppSettings,
      keyVaultReferences,
      dtsAppSettings
    )
  }
}

// PUBLIC_BASE_URL is the app's own https://<default host name>, which exists only once the site
// does (new sites may get a regional name, <app>-<hash>.<region>-01.azurewebsites.net, so it is
// read, not guessed). Added in a second step, merged with the settings the site has by then.
module publicBaseUrl 'br/public:avm/res/web/site/config:0.2.2' = {
  name: 'api-public-base-url'
  params: {
    appName: api.outputs.name
    name: 'appsettings'
    // The site's id is known before deployment (its name), so `list` may read it here.
    currentAppSettings: list(resourceId('Microsoft.Web/sites/config', name, 'appsettings'), '2023-12-01').properties
    properties: {
      PUBLIC_BASE_URL: 'https://${api.outputs.defaultHostname}'
    }
  }
}

output SERVICE_API_NAME string = api.outputs.name
output resourceId string = api.outputs.resourceId
output SERVICE_API_ENDPOINT string = 'https://${api.outputs.defaultHostname}'
output blobServiceUri string = videoStg.properties.primaryEndpoints.blob
