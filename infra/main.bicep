// Entry point for `azd up`: one resource group holding the whole keyless deployment.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; used to name and tag every resource.')
param environmentName string

@minLength(1)
@description('Region for every resource. For a new Azure OpenAI account it must offer Sora (see README: eastus2, swedencentral).')
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

var tags = { 'azd-env-name': environmentName }
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'app/resources.bicep' = {
  name: 'resources'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: principalId
    existingOpenAiEndpoint: existingOpenAiEndpoint
    existingOpenAiResourceId: existingOpenAiResourceId
    soraJobsDeployment: soraJobsDeployment
    soraVideosDeployment: soraVideosDeployment
    newAccountModel: newAccountModel
    newAccountModelVersion: newAccountModelVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output SERVICE_API_ENDPOINT string = resources.outputs.functionAppUrl
output AZURE_OPENAI_ENDPOINT string = resources.outputs.openAiEndpoint
output AZURE_CLIENT_ID string = resources.outputs.identityClientId
output VIDEO_STORAGE__blobServiceUri string = resources.outputs.blobServiceUri
