// Role assignments scoped to the host storage account, the videos container (and its account)
// and Application Insights, for the app identity and, when given, the deploying user (in the shape of app/rbac.bicep from
// Azure-Samples/functions-quickstart-typescript-azd). Plain resources: a role assignment on one
// resource has no AVM resource module of its own.
param storageAccountName string
param appInsightsName string
param managedIdentityPrincipalId string
@description('Resource id of that identity; seeds the assignment names (unchanged from the earlier infra, so redeploying over an existing environment does not hit RoleAssignmentExists).')
param managedIdentityResourceId string
@description('Deploying user; empty = no user assignments.')
param userIdentityPrincipalId string = ''
param storageRoleDefinitionIds string[]
param monitoringRoleDefinitionId string
@description('The account holding the videos container.')
param videoStorageAccountName string
param videoContainerName string
@description('Role on the videos container only.')
param videoContainerRoleDefinitionId string
@description('Role on the videos account (user delegation keys are an account-level action).')
param videoAccountRoleDefinitionId string

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource videoAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: videoStorageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource container 'containers' existing = {
      name: videoContainerName
    }
  }
}

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in storageRoleDefinitionIds: {
  name: guid(storageAccount.id, managedIdentityResourceId, roleId)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource storageRoleAssignmentsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in storageRoleDefinitionIds: if (!empty(userIdentityPrincipalId)) {
  name: guid(storageAccount.id, userIdentityPrincipalId, roleId)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: userIdentityPrincipalId
    principalType: 'User'
  }
}]

// Telemetry with local auth off (Entra ID): the identity publishes metrics with this role.
resource appInsightsRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, managedIdentityResourceId, monitoringRoleDefinitionId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringRoleDefinitionId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appInsightsRoleAssignmentUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userIdentityPrincipalId)) {
  name: guid(applicationInsights.id, userIdentityPrincipalId, monitoringRoleDefinitionId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringRoleDefinitionId)
    principalId: userIdentityPrincipalId
    principalType: 'User'
  }
}

// The videos: the container only, plus the account-level delegator role for read links.
resource videoContainerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(videoAccount::blobService::container.id, managedIdentityResourceId, videoContainerRoleDefinitionId)
  scope: videoAccount::blobService::container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', videoContainerRoleDefinitionId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource videoContainerAssignmentUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userIdentityPrincipalId)) {
  name: guid(videoAccount::blobService::container.id, userIdentityPrincipalId, videoContainerRoleDefinitionId)
  scope: videoAccount::blobService::container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', videoContainerRoleDefinitionId)
    principalId: userIdentityPrincipalId
    principalType: 'User'
  }
}

resource videoAccountAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(videoAccount.id, managedIdentityResourceId, videoAccountRoleDefinitionId)
  scope: videoAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', videoAccountRoleDefinitionId)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource videoAccountAssignmentUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userIdentityPrincipalId)) {
  name: guid(videoAccount.id, userIdentityPrincipalId, videoAccountRoleDefinitionId)
  scope: videoAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', videoAccountRoleDefinitionId)
    principalId: userIdentityPrincipalId
    principalType: 'User'
  }
}
