// Entry point for `azd up`: one resource group holding the whole deployment. Keyless towards
// Azure (the app's identity everywhere); the video providers' keys live in Key Vault.
// Built from Azure Verified Modules (br/public:avm/...) where one exists, in the shape of
// Azure-Samples/functions-quickstart-typescript-azd and durable-functions-quickstart-typescript-azd;
// infra/README.md lists every module, its pinned version and where it was copied from.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; used to name and tag every resource.')
param environmentName string

@minLength(1)
@description('Region for every resource. A new Azure OpenAI account (newOpenAiModel) must be in a region that offers that model.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user; when set, that user gets the app\'s storage, monitoring, Azure OpenAI and scheduler data roles (for local runs against Azure), not Key Vault.')
param principalId string = ''

@description('The video provider a request gets when it names none (app setting DEFAULT_PROVIDER). azd asks at the first `azd up`; or `azd env set VIDEO_PROVIDER fal`. Set that provider\'s key too (fal: FAL_KEY, replicate: REPLICATE_API_TOKEN, openai: OPENAI_API_KEY; azure-openai: an existing account or a new one with a model, see infra/README.md).')
@allowed(['fal', 'replicate', 'openai', 'azure-openai'])
param videoProvider string

// Provider credentials. Each goes into Key Vault and reaches the app as a Key Vault reference,
// only when given (`azd env set FAL_KEY ...`); a provider without its key is simply not configured.
@secure()
@description('fal API key (FAL_KEY). Empty = the fal provider is not configured.')
param falKey string = ''

@secure()
@description('Replicate API token (REPLICATE_API_TOKEN). Empty = the replicate provider is not configured.')
param replicateApiToken string = ''

@secure()
@description('Signing secret of Replicate webhooks (REPLICATE_WEBHOOK_SECRET, whsec_...). Required with replicateApiToken (the preprovision hook checks); see infra/README.md.')
param replicateWebhookSecret string = ''

@secure()
@description('API key of the OpenAI-compatible /v1/videos endpoint (OPENAI_API_KEY). Empty = the openai provider is not configured.')
param openAiApiKey string = ''

@description('Base URL of that endpoint (OPENAI_BASE_URL). Empty = the app\'s default, https://api.openai.com/v1.')
param openAiBaseUrl string = ''

@secure()
@description('Gemini API key (GOOGLE_GENERATIVE_AI_API_KEY): the google instance, Veo through @ai-sdk/google. Empty = not configured.')
param googleGenerativeAiApiKey string = ''

@secure()
@description('xAI API key (XAI_API_KEY): the xai instance, through @ai-sdk/xai. Empty = not configured.')
param xaiApiKey string = ''

@secure()
@description('Vercel AI Gateway key (AI_GATEWAY_API_KEY): the gateway instance, through @ai-sdk/gateway. Empty = not configured.')
param aiGatewayApiKey string = ''

// Named provider instances (VIDEO_PROVIDERS__<name>__<FIELD>, README "Providers"): the plain
// fields as app settings, each instance's key in Key Vault (a Key Vault reference in the app).
@description('Plain fields of named provider instances, "<name>__<FIELD>": value (e.g. {"openrouter__KIND": "openai-videos", "openrouter__BASE_URL": "https://openrouter.ai/api/v1"}); each becomes the app setting VIDEO_PROVIDERS__<name>__<FIELD>. Keys go in providerInstanceKeys.')
param providerInstanceSettings object = {}

@secure()
@description('Each named instance\'s API key, "<name>": key; stored in Key Vault as provider-<name>-api-key, read by the app as VIDEO_PROVIDERS__<name>__API_KEY.')
param providerInstanceKeys object = {}

// App secrets azd generates once per environment when not given (metadata type generate: stored
// in the environment's config, reused by every later provision), so they stay stable, are never
// typed, and differ per environment. See "Generated secrets" in infra/README.md.
@secure()
@description('Signs the events the app sends to callers\' callbackUrl (OUTBOUND_WEBHOOK_SECRET). A whsec_... value is used as given; anything else (the generated default) becomes whsec_ + its base64.')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param outboundWebhookSecret string

@secure()
@description('HMAC key that derives instance ids from callers\' Idempotency-Key (IDEMPOTENCY_KEY_SECRET). Changing it makes earlier keys start new requests.')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param idempotencyKeySecret string

@description('Azure OpenAI (the retired Sora, kept): endpoint of an existing account. Empty = none, unless newOpenAiModel asks for a new account.')
param existingOpenAiEndpoint string = ''

@description('Resource id of that existing account, so the app identity can be granted its role. Required with existingOpenAiEndpoint.')
param existingOpenAiResourceId string = ''

@description('Azure OpenAI: create a new account here with a deployment of this model (for example a video model your region still offers). Empty = no new account. Ignored when existingOpenAiEndpoint is set.')
param newOpenAiModel string = ''

@description('Version of newOpenAiModel (check the Azure OpenAI models page for your region).')
param newOpenAiModelVersion string = ''

@description('Deployment name of a jobs-API model (sora) in the account; the app setting SORA_JOBS_DEPLOYMENT.')
param soraJobsDeployment string = 'sora'

@description('Deployment name of a videos-API model in the account; the app setting SORA_VIDEOS_DEPLOYMENT.')
param soraVideosDeployment string = 'sora-2'

@description('Flex Consumption instance memory in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Flex Consumption maximum instance count.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Durable Functions backend. DurableTaskScheduler also needs the host.json change described in infra/README.md.')
@allowed(['AzureStorage', 'DurableTaskScheduler'])
param durableBackend string = 'AzureStorage'

@description('Region of the Durable Task Scheduler (only with durableBackend = DurableTaskScheduler).')
param dtsLocation string = location

var tags = { 'azd-env-name': environmentName }
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
// An Azure OpenAI account only when asked for: an existing one, or a new one with a named model.
var useExistingOpenAi = !empty(existingOpenAiEndpoint)
var createOpenAi = !useExistingOpenAi && !empty(newOpenAiModel)
var useDts = durableBackend == 'DurableTaskScheduler'
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
var videoContainerName = 'videos'
// Must equal extensions.durableTask.hubName in host.json (test/infra checks it).
var durableTaskHubName = 'SoraVideos'
// 3-24 characters, globally unique, stable per environment (kv- + 13).
var keyVaultName = 'kv-${resourceToken}'

// App setting -> Key Vault secret name (letters, digits and dashes), for the secrets given.
// The values go to Key Vault only (module keyVault below); the app gets references.
// Named instances' keys: VIDEO_PROVIDERS__<name>__API_KEY -> provider-<name>-api-key.
var instanceKeySecrets = toObject(
  items(providerInstanceKeys),
  entry => 'VIDEO_PROVIDERS__${entry.key}__API_KEY',
  entry => 'provider-${toLower(replace(entry.key, '_', '-'))}-api-key'
)
var secretSettings = union(
  instanceKeySecrets,
  empty(falKey) ? {} : { FAL_KEY: 'fal-key' },
  empty(replicateApiToken) ? {} : { REPLICATE_API_TOKEN: 'replicate-api-token' },
  empty(replicateWebhookSecret) ? {} : { REPLICATE_WEBHOOK_SECRET: 'replicate-webhook-secret' },
  empty(openAiApiKey) ? {} : { OPENAI_API_KEY: 'openai-api-key' },
  empty(googleGenerativeAiApiKey) ? {} : { GOOGLE_GENERATIVE_AI_API_KEY: 'google-generative-ai-api-key' },
  empty(xaiApiKey) ? {} : { XAI_API_KEY: 'xai-api-key' },
  empty(aiGatewayApiKey) ? {} : { AI_GATEWAY_API_KEY: 'ai-gateway-api-key' },
  {
    OUTBOUND_WEBHOOK_SECRET: 'outbound-webhook-secret'
    IDEMPOTENCY_KEY_SECRET: 'idempotency-key-secret'
  }
)

// Built-in role definition ids (Azure built-in roles reference; test/infra checks each GUID
// against its documented name).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  cognitiveServicesOpenAiUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// The one identity the app uses for everything: host storage, video storage, Application
// Insights, Key Vault references, Azure OpenAI and (optionally) the Durable Task Scheduler.
module apiUserAssignedIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'apiUserAssignedIdentity'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'id-${resourceToken}'
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'appserviceplan'
  scope: rg
  params: {
    name: 'plan-${resourceToken}'
    // kind FunctionApp, not the module's default App: the plan hosts the Function App, and plans
    // already provisioned for an environment have that kind.
    kind: 'FunctionApp'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

// Host storage (blob, queue and table for Durable Functions' Azure Storage provider) and the
// deployment package container. Shared keys stay off.
module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    // Metrics of the account, logs and metrics of its blob service (host, package).
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalytics.outputs.resourceId
      }
    ]
    blobServices: {
      diagnosticSettings: [
        {
          workspaceResourceId: logAnalytics.outputs.resourceId
        }
      ]
      containers: [
        {
          name: deploymentContainerName
        }
      ]
    }
  }
}

// The videos (and their `.claims/` blobs) in an account of their own: the Functions host needs
// Storage Blob Data Owner on its account, so sharing it would give the app that role over the
// videos too; here the app holds Storage Blob Data Contributor on the one container and Storage
// Blob Delegator (user delegation keys for the read links) on the account. Same settings.
module videoStorage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'videoStorage'
  scope: rg
  params: {
    name: 'stv${resourceToken}'
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalytics.outputs.resourceId
      }
    ]
    blobServices: {
      diagnosticSettings: [
        {
          workspaceResourceId: logAnalytics.outputs.resourceId
        }
      ]
      containers: [
        {
          name: videoContainerName
          publicAccess: 'None'
        }
      ]
    }
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: '${uniqueString(deployment().name, location)}-loganalytics'
  scope: rg
  params: {
    name: 'log-${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
    features: {
      disableLocalAuth: true
    }
  }
}

module monitoring 'br/public:avm/res/insights/component:0.6.0' = {
  name: '${uniqueString(deployment().name, location)}-appinsights'
  scope: rg
  params: {
    name: 'appi-${resourceToken}'
    location: location
    tags: tags
    kind: 'web'
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

// A new Azure OpenAI account with one deployment of newOpenAiModel, only when that is set (and no
// existing account is given). Nothing is created by default: Sora is retired (infra/README.md).
// Cognitive Services OpenAI User: the least-privileged built-in role whose data actions include
// inference (Microsoft.CognitiveServices/accounts/OpenAI/*), which is what creating, reading and
// deleting Sora jobs are; Contributor would also allow changing deployments.
module openAi 'br/public:avm/res/cognitive-services/account:0.13.2' = if (createOpenAi) {
  name: 'openai'
  scope: rg
  params: {
    name: 'oai-${resourceToken}'
    location: location
    tags: tags
    kind: 'OpenAI'
    sku: 'S0'
    customSubDomainName: 'oai-${resourceToken}'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalytics.outputs.resourceId
      }
    ]
    deployments: [
      {
        // The jobs API serves the model `sora`; every later video model uses the videos API.
        name: newOpenAiModel == 'sora' ? soraJobsDeployment : soraVideosDeployment
        model: {
          format: 'OpenAI'
          name: newOpenAiModel
          version: newOpenAiModelVersion
        }
        sku: {
          name: 'GlobalStandard'
          capacity: 1
        }
      }
    ]
    // Each name is guid(resourceToken, principal, role), stable for an environment: an assignment
    // of the same principal, role and scope under another name fails with RoleAssignmentExists.
    roleAssignments: concat(
      [
        {
          name: guid(resourceToken, apiUserAssignedIdentity.outputs.resourceId, roles.cognitiveServicesOpenAiUser)
          principalId: apiUserAssignedIdentity.outputs.principalId
          principalType: 'ServicePrincipal'
          roleDefinitionIdOrName: roles.cognitiveServicesOpenAiUser
        }
      ],
      empty(principalId)
        ? []
        : [
            {
              name: guid(resourceToken, principalId, roles.cognitiveServicesOpenAiUser)
              principalId: principalId
              principalType: 'User'
              roleDefinitionIdOrName: roles.cognitiveServicesOpenAiUser
            }
          ]
    )
  }
}

var openAiEndpoint = createOpenAi ? openAi!.outputs.endpoint : existingOpenAiEndpoint // empty = no Azure OpenAI

// An existing account may live in another resource group: grant the role there.
module existingOpenAiRole 'app/openai-role.bicep' = if (useExistingOpenAi && !empty(existingOpenAiResourceId)) {
  name: 'existing-openai-role'
  scope: resourceGroup(split(existingOpenAiResourceId, '/')[2], split(existingOpenAiResourceId, '/')[4])
  params: {
    accountName: last(split(existingOpenAiResourceId, '/'))
    principalId: apiUserAssignedIdentity.outputs.principalId
    roleDefinitionId: roles.cognitiveServicesOpenAiUser
  }
}

// Optional Durable Task Scheduler backend (no AVM module exists for Microsoft.DurableTask).
module dts 'app/dts.bicep' = if (useDts) {
  name: 'dts'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    taskHubName: durableTaskHubName
    location: dtsLocation
    tags: tags
  }
}

module dtsRoles 'app/dts-access.bicep' = if (useDts) {
  name: 'dtsRoleAssignments'
  scope: rg
  params: {
    schedulerName: dts!.outputs.name
    managedIdentityPrincipalId: apiUserAssignedIdentity.outputs.principalId
    userIdentityPrincipalId: principalId
    roleDefinitionId: roles.durableTaskDataContributor
  }
}

// Provider keys and the app's own secrets. RBAC authorization (no access policies), soft delete
// and purge protection on; public network as the other resources (the app has no VNet). The app
// identity reads secrets (Key Vault Secrets User) and resolves the Key Vault references in its
// settings with it (keyVaultReferenceIdentity). Nobody else gets a data role here.
module keyVault 'br/public:avm/res/key-vault/vault:0.14.0' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enableSoftDelete: true
    // The minimum: a deleted vault keeps its name (and with purge protection cannot be purged)
    // for this long, so `azd down` then `azd up` of the same environment waits at most 7 days.
    softDeleteRetentionInDays: 7
    enablePurgeProtection: true
    enableVaultForDeployment: false
    enableVaultForTemplateDeployment: false
    enableVaultForDiskEncryption: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    diagnosticSettings: [
      {
        workspaceResourceId: logAnalytics.outputs.resourceId
      }
    ]
    roleAssignments: [
      {
        name: guid(resourceToken, apiUserAssignedIdentity.outputs.resourceId, roles.keyVaultSecretsUser)
        principalId: apiUserAssignedIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionIdOrName: roles.keyVaultSecretsUser
      }
    ]
    // Only the secrets given; names as in secretSettings.
    secrets: concat(
      empty(falKey) ? [] : [{ name: 'fal-key', value: falKey }],
      empty(replicateApiToken) ? [] : [{ name: 'replicate-api-token', value: replicateApiToken }],
      empty(replicateWebhookSecret) ? [] : [{ name: 'replicate-webhook-secret', value: replicateWebhookSecret }],
      empty(openAiApiKey) ? [] : [{ name: 'openai-api-key', value: openAiApiKey }],
      empty(googleGenerativeAiApiKey) ? [] : [{ name: 'google-generative-ai-api-key', value: googleGenerativeAiApiKey }],
      empty(xaiApiKey) ? [] : [{ name: 'xai-api-key', value: xaiApiKey }],
      empty(aiGatewayApiKey) ? [] : [{ name: 'ai-gateway-api-key', value: aiGatewayApiKey }],
      map(items(providerInstanceKeys), entry => {
        name: 'provider-${toLower(replace(entry.key, '_', '-'))}-api-key'
        value: entry.value
      }),
      [
        {
          name: 'outbound-webhook-secret'
          // Standard Webhooks form: whsec_ + base64 of the key bytes.
          value: startsWith(outboundWebhookSecret, 'whsec_') ? outboundWebhookSecret : 'whsec_${base64(outboundWebhookSecret)}'
        }
        {
          name: 'idempotency-key-secret'
          value: idempotencyKeySecret
        }
      ]
    )
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.name
    appServicePlanId: appServicePlan.outputs.resourceId
    runtimeName: 'node'
    runtimeVersion: '22'
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    storageAccountName: storage.outputs.name
    deploymentStorageContainerName: deploymentContainerName
    videoStorageAccountName: videoStorage.outputs.name
    identityId: apiUserAssignedIdentity.outputs.resourceId
    identityClientId: apiUserAssignedIdentity.outputs.clientId
    defaultProvider: videoProvider
    openAiEndpoint: openAiEndpoint
    soraJobsDeployment: soraJobsDeployment
    soraVideosDeployment: soraVideosDeployment
    openAiBaseUrl: openAiBaseUrl
    providerInstanceSettings: providerInstanceSettings
    videoContainerName: videoContainerName
    dtsEndpoint: useDts ? dts!.outputs.endpoint : ''
    keyVaultUri: keyVault.outputs.uri
    secretSettings: secretSettings
    logAnalyticsWorkspaceId: logAnalytics.outputs.resourceId
  }
}

// Storage and Application Insights roles for the identity (and the deploying user).
module rbac 'app/rbac.bicep' = {
  name: 'rbacAssignments'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    videoStorageAccountName: videoStorage.outputs.name
    videoContainerName: videoContainerName
    // Videos and `.claims/` blobs: read, write, delete in the one container (and create it if
    // missing); generateUserDelegationKey (an account-level action) for the read-only SAS links.
    videoContainerRoleDefinitionId: roles.storageBlobDataContributor
    videoAccountRoleDefinitionId: roles.storageBlobDelegator
    appInsightsName: monitoring.outputs.name
    managedIdentityPrincipalId: apiUserAssignedIdentity.outputs.principalId
    managedIdentityResourceId: apiUserAssignedIdentity.outputs.resourceId
    userIdentityPrincipalId: principalId
    // Host account. Blob Data Owner: what Microsoft documents for identity-based
    // AzureWebJobsStorage (host leases, keys and its own containers), and the deployment package.
    // Queue and Table Data Contributor: Durable Functions' Azure Storage provider.
    storageRoleDefinitionIds: [
      roles.storageBlobDataOwner
      roles.storageQueueDataContributor
      roles.storageTableDataContributor
    ]
    monitoringRoleDefinitionId: roles.monitoringMetricsPublisher
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.SERVICE_API_NAME
output SERVICE_API_NAME string = api.outputs.SERVICE_API_NAME
output SERVICE_API_ENDPOINT string = api.outputs.SERVICE_API_ENDPOINT
output AZURE_OPENAI_ENDPOINT string = openAiEndpoint
output VIDEO_PROVIDER string = videoProvider
output PUBLIC_BASE_URL string = api.outputs.SERVICE_API_ENDPOINT
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_CLIENT_ID string = apiUserAssignedIdentity.outputs.clientId
output VIDEO_STORAGE__blobServiceUri string = api.outputs.blobServiceUri
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_HUB_NAME string = durableTaskHubName
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useDts ? dts!.outputs.endpoint : ''
