# Install-PermWatch with the cluster, the sessions, Invoke-Command, Copy-Item
# and msiexec mocked. What runs for real: the module's own logic, and on the
# "node" (a folder under TestDrive per node) the hash check, Get-FileHash of
# the copy, and the staging folder's removal. The node-side staging folder
# with its admin-only DACL cannot be made here (no Windows ACLs on Linux):
# its step returns a plain folder. The pre-flight answer is the real
# check --cluster output recorded from the two simulated nodes.
# A session is an uninitialised PSSession (Copy-Item's mock keeps -ToSession's
# type) carrying its node's name; the mocks keep their state in one global
# table, since Deploy-PermWatch.ps1 runs them under a script scope of its own.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSupport.ps1')
    # FailoverClusters exists only on Windows Server: a stub to mock.
    if (-not (Get-Command Get-ClusterNode -ErrorAction SilentlyContinue)) {
        function global:Get-ClusterNode { param([string] $Cluster) }
        $script:StubbedClusterNode = $true
    }
    $script:Msi = Join-Path $TestDrive 'permwatch.msi'
    [IO.File]::WriteAllBytes($script:Msi, [byte[]](1..200))

    # Each test sets these, then calls Install-PermWatch.
    function Reset-Cluster([string[]] $Nodes, [string[]] $Down = @()) {
        $global:PWInstall = @{}
        $global:PWInstall.Nodes = $Nodes
        $global:PWInstall.Down = $Down
        $global:PWInstall.Unreachable = @()
        $global:PWInstall.CorruptCopyOn = $null
        $global:PWInstall.MsiexecExit = @{}
        $global:PWInstall.Calls = New-Object System.Collections.Generic.List[string]
        $global:PWInstall.CurrentNode = $null
        Get-ChildItem $TestDrive -Directory | Remove-Item -Recurse -Force
    }

    Mock -ModuleName PermWatch Get-ClusterNode {
        $global:PWInstall.Calls.Add("Get-ClusterNode $Cluster")
        foreach ($n in $global:PWInstall.Nodes) {
            $state = 'Up'
            if ($n -in $global:PWInstall.Down) { $state = 'Down' }
            [pscustomobject]@{ Name = $n; State = $state }
        }
    }
    Mock -ModuleName PermWatch New-PSSession {
        $global:PWInstall.Calls.Add("New-PSSession $ComputerName")
        if ("$ComputerName" -in $global:PWInstall.Unreachable) {
            throw "Connecting to remote server $ComputerName failed: WinRM cannot complete the operation."
        }
        $session = [System.Runtime.CompilerServices.RuntimeHelpers]::GetUninitializedObject(
            [System.Management.Automation.Runspaces.PSSession])
        $session | Add-Member -NotePropertyName FakeNode -NotePropertyValue "$ComputerName"
        $session
    }
    Mock -ModuleName PermWatch Remove-PSSession {
        $global:PWInstall.Calls.Add("Remove-PSSession $(@($Session)[0].FakeNode)")
    }
    # Dispatched on the step's name, the first line of each node-side block.
    Mock -ModuleName PermWatch Invoke-Command {
        # Under Deploy-PermWatch.ps1's StrictMode an unbound parameter is no variable.
        $node = "$(Get-Variable ComputerName -ValueOnly -ErrorAction Ignore)"
        $sessions = Get-Variable Session -ValueOnly -ErrorAction Ignore
        if ($sessions) { $node = @($sessions)[0].FakeNode }
        $step = 'unknown'
        if ("$ScriptBlock" -match 'PermWatch node step: (\w+)') { $step = $Matches[1] }
        $global:PWInstall.Calls.Add("Invoke-Command $step $node")
        $global:PWInstall.CurrentNode = $node
        switch ($step) {
            'staging' {
                $dir = Join-Path $TestDrive "$node-PermWatch-staging"
                New-Item -ItemType Directory -Path $dir | Out-Null
                return $dir
            }
            'state' {
                return [pscustomobject]@{ State = 'Running'; Exit = 0; Json = (Get-Fixture 'status-running').Output }
            }
            'permwatch' { return Get-Fixture 'check-cluster-ready' }
            'config' { return }   # icacls and the installed exe exist only on the node
            default { return & $ScriptBlock @ArgumentList }
        }
    }
    Mock -ModuleName PermWatch Copy-Item {
        $node = $ToSession.FakeNode
        $global:PWInstall.Calls.Add("Copy-Item $node")
        $bytes = [IO.File]::ReadAllBytes(@($LiteralPath)[0])
        if ($node -eq $global:PWInstall.CorruptCopyOn) { $bytes[7] = $bytes[7] -bxor 0xFF }   # damaged on the way
        [IO.File]::WriteAllBytes(($Destination -replace '\\', '/'), $bytes)
    }
    Mock -ModuleName PermWatch Start-Process {
        $global:PWInstall.Calls.Add("Start-Process $FilePath $($global:PWInstall.CurrentNode)")
        $code = 0
        if ($global:PWInstall.MsiexecExit.ContainsKey($global:PWInstall.CurrentNode)) { $code = $global:PWInstall.MsiexecExit[$global:PWInstall.CurrentNode] }
        [pscustomobject]@{ ExitCode = $code }
    }
    Mock -ModuleName PermWatch Start-Sleep { $global:PWInstall.Calls.Add('Start-Sleep') }

    # Runs Install-PermWatch and sorts what the user sees: objects, errors,
    # warnings (redirected streams: -ErrorVariable would also hold the errors
    # the module caught and turned into its own).
    function Invoke-Install([hashtable] $Arguments) {
        $all = @(Install-PermWatch @Arguments 2>&1 3>&1)
        [pscustomobject]@{
            Out      = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] -and $_ -isnot [System.Management.Automation.WarningRecord] })
            Errors   = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
            Warnings = @($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object { $_.Message })
        }
    }

    # The calls one good node gets, in order.
    function Get-NodeCalls([string] $Node) {
        "Invoke-Command staging $Node", "Copy-Item $Node", "Invoke-Command hash $Node",
        "Invoke-Command msiexec $Node", "Start-Process msiexec.exe $Node", "Invoke-Command cleanup $Node",
        "Invoke-Command state $Node"
    }
}
AfterAll {
    if ($script:StubbedClusterNode) { Remove-Item function:global:Get-ClusterNode }
    Remove-Variable -Scope Global -Name PWInstall -ErrorAction SilentlyContinue
}

Describe 'Install-PermWatch' {
    It 'installs every node in order, then runs the pre-flight on the first' {
        Reset-Cluster 'NODE1', 'NODE2', 'NODE3'
        $r = Invoke-Install @{ Cluster = 'EXCL01'; MsiPath = $script:Msi; PreflightDelaySeconds = 1; Confirm = $false }
        $out = $r.Out; $errs = $r.Errors; $warns = $r.Warnings
        $expected = @('Get-ClusterNode EXCL01', 'New-PSSession NODE1', 'New-PSSession NODE2', 'New-PSSession NODE3') +
            (Get-NodeCalls NODE1) + (Get-NodeCalls NODE2) + (Get-NodeCalls NODE3) +
            @('Remove-PSSession NODE1', 'Remove-PSSession NODE2', 'Remove-PSSession NODE3',
              'Start-Sleep', 'Invoke-Command permwatch NODE1')
        @($global:PWInstall.Calls) | Should -Be $expected
        $results = @($out | Where-Object { $_.PSObject.TypeNames[0] -eq 'PermWatch.InstallResult' })
        @($results | ForEach-Object Node) | Should -Be @('NODE1', 'NODE2', 'NODE3')
        $results | ForEach-Object {
            $_.Result | Should -Be 'Installed'
            $_.ServiceState | Should -Be 'Running'
            $_.Compliant | Should -BeTrue
            $_.StagingFolder | Should -BeNullOrEmpty
        }
        $out[-1].PSObject.TypeNames[0] | Should -Be 'PermWatch.ClusterCheck'
        $out[-1].Ready | Should -BeTrue
        $errs | Should -BeNullOrEmpty
        $warns | Should -BeNullOrEmpty
        # msiexec quiet, no restart, with a log, from the staging folder; the folder is gone
        Should -Invoke -ModuleName PermWatch Start-Process -Times 3 -Exactly -ParameterFilter {
            $ArgumentList -match '^/i ".*PermWatch-staging.permwatch\.msi" /qn /norestart /l\*v ".*install\.log"$'
        }
        @(Get-ChildItem $TestDrive -Directory).Count | Should -Be 0
    }

    It 'touches no node when one is unreachable, and says which' {
        Reset-Cluster 'NODE1', 'NODE2', 'NODE3'
        $global:PWInstall.Unreachable = @('NODE2')
        $e = { Install-PermWatch -Cluster EXCL01 -MsiPath $script:Msi -PreflightDelaySeconds 0 -Confirm:$false } |
            Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -BeLike 'PermWatch.NodeUnreachable*'
        $e.CategoryInfo.Category | Should -Be 'ConnectionError'
        $e.TargetObject | Should -Be @('NODE2')
        $e.Exception.Message | Should -Match 'nothing installed on any node'
        $e.Exception.Message | Should -Match 'NODE2 \(Connecting to remote server NODE2 failed'
        @($global:PWInstall.Calls) | Should -Be @('Get-ClusterNode EXCL01', 'New-PSSession NODE1', 'New-PSSession NODE2',
            'New-PSSession NODE3', 'Remove-PSSession NODE1', 'Remove-PSSession NODE3')
        Should -Invoke -ModuleName PermWatch Copy-Item -Times 0 -Exactly -Scope It
        Should -Invoke -ModuleName PermWatch Start-Process -Times 0 -Exactly -Scope It
    }

    It 'touches no node when the cluster reports one down' {
        Reset-Cluster 'NODE1', 'NODE2' -Down 'NODE2'
        $e = { Install-PermWatch -Cluster EXCL01 -MsiPath $script:Msi -Confirm:$false } | Should -Throw -PassThru
        $e.Exception.Message | Should -Match 'NODE2 \(the cluster reports it down\)'
        Should -Invoke -ModuleName PermWatch Invoke-Command -Times 0 -Exactly -Scope It
    }

    It 'stops at a hash mismatch on NODE2 before its msiexec, and says what is installed where' {
        Reset-Cluster 'NODE1', 'NODE2', 'NODE3'
        $global:PWInstall.CorruptCopyOn = 'NODE2'
        $r = Invoke-Install @{ Cluster = 'EXCL01'; MsiPath = $script:Msi; PreflightDelaySeconds = 0; Confirm = $false }
        $out = $r.Out; $errs = $r.Errors; $warns = $r.Warnings
        @($global:PWInstall.Calls) | Should -Be (@('Get-ClusterNode EXCL01', 'New-PSSession NODE1', 'New-PSSession NODE2', 'New-PSSession NODE3') +
            (Get-NodeCalls NODE1) + @('Invoke-Command staging NODE2', 'Copy-Item NODE2', 'Invoke-Command hash NODE2') +
            @('Remove-PSSession NODE1', 'Remove-PSSession NODE2', 'Remove-PSSession NODE3'))
        @($out | ForEach-Object { "$($_.Node) $($_.Result)" }) | Should -Be @('NODE1 Installed', 'NODE2 Failed', 'NODE3 NotTouched')
        $out[1].Step | Should -Be 'hash'
        $out[1].Error | Should -Match 'SHA-256 of .*permwatch\.msi on .* is [0-9A-F]{64}, expected [0-9A-F]{64}'
        $out[1].Error | Should -Match 'staging folder kept on NODE2'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'PermWatch.NodeInstallFailed*'
        $errs[0].TargetObject | Should -Be 'NODE2'
        $errs[0].Exception.Message | Should -Match '^NODE2: not installed, failed at hash: SHA-256'
        "$warns" | Should -Match 'installed on: NODE1; failed on: NODE2; not touched: NODE3'
        "$warns" | Should -Match 'no pre-flight'
    }

    It 'names NODE2 when its msiexec fails, keeps its log, and leaves NODE3 untouched' {
        Reset-Cluster 'NODE1', 'NODE2', 'NODE3'
        $global:PWInstall.MsiexecExit = @{ NODE2 = 1603 }
        $r = Invoke-Install @{ Cluster = 'EXCL01'; MsiPath = $script:Msi; PreflightDelaySeconds = 0; Confirm = $false }
        $out = $r.Out; $errs = $r.Errors; $warns = $r.Warnings
        @($global:PWInstall.Calls) | Should -Be (@('Get-ClusterNode EXCL01', 'New-PSSession NODE1', 'New-PSSession NODE2', 'New-PSSession NODE3') +
            (Get-NodeCalls NODE1) + @('Invoke-Command staging NODE2', 'Copy-Item NODE2', 'Invoke-Command hash NODE2',
                'Invoke-Command msiexec NODE2', 'Start-Process msiexec.exe NODE2') +
            @('Remove-PSSession NODE1', 'Remove-PSSession NODE2', 'Remove-PSSession NODE3'))
        @($out | ForEach-Object { "$($_.Node) $($_.Result)" }) | Should -Be @('NODE1 Installed', 'NODE2 Failed', 'NODE3 NotTouched')
        $out[1].Step | Should -Be 'msiexec'
        $out[1].StagingFolder | Should -Match 'NODE2-PermWatch-staging'
        $errs[0].TargetObject | Should -Be 'NODE2'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $errs[0].Exception.Message | Should -Match 'msiexec exited with 1603; Windows Installer rolled NODE2 back'
        $errs[0].Exception.Message | Should -Match 'install\.log on NODE2'
        "$warns" | Should -Match 'installed on: NODE1; failed on: NODE2; not touched: NODE3'
        Should -Invoke -ModuleName PermWatch Invoke-Command -Times 0 -Exactly -Scope It -ParameterFilter { "$ScriptBlock" -match 'step: permwatch' }
    }

    It 'with -ConfigPath copies the config, checks its hash on the node, and places it after msiexec' {
        Reset-Cluster 'NODE1'
        $config = Join-Path $TestDrive 'permwatch.json'
        Set-Content -LiteralPath $config -Value '{ "version": 1, "keys": [] }'
        $r = Invoke-Install @{ Cluster = 'EXCL01'; MsiPath = $script:Msi; ConfigPath = $config; PreflightDelaySeconds = 0; Confirm = $false }
        $r.Errors | Should -BeNullOrEmpty
        @($global:PWInstall.Calls) | Should -Be @('Get-ClusterNode EXCL01', 'New-PSSession NODE1',
            'Invoke-Command staging NODE1', 'Copy-Item NODE1', 'Invoke-Command hash NODE1',
            'Copy-Item NODE1', 'Invoke-Command hash NODE1',
            'Invoke-Command msiexec NODE1', 'Start-Process msiexec.exe NODE1', 'Invoke-Command config NODE1',
            'Invoke-Command cleanup NODE1', 'Invoke-Command state NODE1', 'Remove-PSSession NODE1',
            'Invoke-Command permwatch NODE1')
        Should -Invoke -ModuleName PermWatch Invoke-Command -Times 1 -Exactly -Scope It -ParameterFilter {
            "$ScriptBlock" -match 'step: hash' -and $ArgumentList[0] -match 'permwatch\.json$' -and
            $ArgumentList[1] -eq (Get-FileHash -LiteralPath $config -Algorithm SHA256).Hash
        }
    }

    It 'changes nothing with -WhatIf' {
        Reset-Cluster 'NODE1', 'NODE2'
        $out = @(Install-PermWatch -Cluster EXCL01 -MsiPath $script:Msi -WhatIf)
        @($out | ForEach-Object Result) | Should -Be @('WhatIf', 'WhatIf')
        @($global:PWInstall.Calls) | Should -Be @('Get-ClusterNode EXCL01', 'New-PSSession NODE1', 'New-PSSession NODE2',
            'Remove-PSSession NODE1', 'Remove-PSSession NODE2')
    }

    It 'is what Deploy-PermWatch.ps1 runs' {
        Reset-Cluster 'NODE1'
        $out = @(& (Join-Path $script:Root 'installer/Deploy-PermWatch.ps1') -Cluster EXCL01 -MsiPath $script:Msi `
                -PreflightDelaySeconds 0 -Confirm:$false)
        $out[0].Result | Should -Be 'Installed'
        $out[-1].Ready | Should -BeTrue
    }
}
