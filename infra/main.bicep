// Entry point for `azd up`: one resource group holding the whole keyless deployment.
// Built from Azure Verified Modules (br/public:avm/...) where one exists, in the shape of
// Azure-Samples/functions-quickstart-typescript-azd and durable-functions-quickstart-typescript-azd;
// infra/README.md lists every module, its pinned version and where it was copied from.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; used to name and tag every resource.')
param environmentName string

@minLength(1)
@description('Region for every resource. For a new Azure OpenAI account it must offer Sora (see infra/README.md: eastus2, swedencentral).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user; when set, that user gets the same data-plane roles as the app (for local runs against Azure).')
param principalId string = ''

@description('Endpoint of an existing Azure OpenAI account with a Sora deployment. Empty = create a new account here.')
param existingOpenAiEndpoint string = ''

@description('Resource id of that existing account, so the app identity can be granted its role. Required with existingOpenAiEndpoint.')
param existingOpenAiResourceId string = ''

@description('Deployment name of Sora (jobs API) in the account; the app setting SORA_JOBS_DEPLOYMENT.')
param soraJobsDeployment string = 'sora'

@description('Deployment name of Sora 2 (videos API) in the account; the app setting SORA_VIDEOS_DEPLOYMENT.')
param soraVideosDeployment string = 'sora-2'

@description('Model of the deployment created in a new account: sora (jobs API) or sora-2 (videos API).')
@allowed(['sora', 'sora-2'])
param newAccountModel string = 'sora'

@description('Model version of that deployment (check the models page for your region).')
param newAccountModelVersion string = '2025-05-02'

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
var createOpenAi = empty(existingOpenAiEndpoint)
var useDts = durableBackend == 'DurableTaskScheduler'
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(resourceToken, 7)}'
var videoContainerName = 'videos'
// Must equal extensions.durableTask.hubName in host.json (test/infra checks it).
var durableTaskHubName = 'SoraVideos'

// Built-in role definition ids (Azure built-in roles reference; test/infra checks each GUID
// against its documented name).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  cognitiveServicesOpenAiUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
  durableTaskDataContributor: '0ad04412-c4d5-4796-b79c-f76d14c8d402'
}

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// The one identity the app uses for everything: host storage, video storage, Application
// Insights, Azure OpenAI and (optionally) the Durable Task Scheduler.
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
    // kind FunctionApp (the module's default is App), as the earlier infra had it.
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

// Host storage (blob, queue and table for Durable Functions' Azure Storage provider), the
// deployment package container and the videos container. Shared keys stay off.
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
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
        }
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

// A new Azure OpenAI account with one Sora deployment, unless an existing account is given.
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
    deployments: [
      {
        name: newAccountModel == 'sora' ? soraJobsDeployment : soraVideosDeployment
        model: {
          format: 'OpenAI'
          name: newAccountModel
          version: newAccountModelVersion
        }
        sku: {
          name: 'GlobalStandard'
          capacity: 1
        }
      }
    ]
    // Names as in the earlier plain-resource infra: an assignment of the same principal, role
    // and scope under another name fails with RoleAssignmentExists.
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

var openAiEndpoint = createOpenAi ? openAi!.outputs.endpoint : existingOpenAiEndpoint

// An existing account may live in another resource group: grant the role there.
module existingOpenAiRole 'app/openai-role.bicep' = if (!createOpenAi && !empty(existingOpenAiResourceId)) {
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
    identityId: apiUserAssignedIdentity.outputs.resourceId
    identityClientId: apiUserAssignedIdentity.outputs.clientId
    openAiEndpoint: openAiEndpoint
    soraJobsDeployment: soraJobsDeployment
    soraVideosDeployment: soraVideosDeployment
    videoContainerName: videoContainerName
    dtsEndpoint: useDts ? dts!.outputs.endpoint : ''
  }
}

// Storage and Application Insights roles for the identity (and the deploying user).
module rbac 'app/rbac.bicep' = {
  name: 'rbacAssignments'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    managedIdentityPrincipalId: apiUserAssignedIdentity.outputs.principalId
    managedIdentityResourceId: apiUserAssignedIdentity.outputs.resourceId
    userIdentityPrincipalId: principalId
    // Blob Data Owner: host leases and blobs, deployment package, videos and `.claims/`
    // blobs, and generateUserDelegationKey for the read-only SAS links.
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
output AZURE_CLIENT_ID string = apiUserAssignedIdentity.outputs.clientId
output VIDEO_STORAGE__blobServiceUri string = api.outputs.blobServiceUri
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_HUB_NAME string = durableTaskHubName
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useDts ? dts!.outputs.endpoint : ''
