#Requires -Version 5.1
#Requires -Modules FailoverClusters
<#
.SYNOPSIS
    Installs or upgrades PermWatch on every node of a failover cluster and
    prints one row per node: Node, Installed, ServiceState, Version, Keys, Compliant.

.DESCRIPTION
    The MSI's SHA-256 is computed once, here. Then, for each node of
    Get-ClusterNode, in one PowerShell session on that node:
      1. a new folder with a random name is created under the node's
         %SystemRoot%\Temp with an admin-only DACL given at creation (owner
         Administrators; SYSTEM and Administrators full control; protected, so
         nothing is inherited from Temp, where users may create files). A
         folder that already exists is refused: it is not ours;
      2. the MSI (and -ConfigPath, if given) is copied into it over the
         session (Copy-Item -ToSession), and its SHA-256 is computed on the
         node and compared with the one computed here: a mismatch stops that
         node before msiexec runs;
      3. msiexec /i <that copy> /qn /norestart /l*v <log in that folder>; exit
         code 0 or 3010 (reboot needed) is success;
      4. with -ConfigPath, the checked copy is put at
         %ProgramData%\PermWatch\permwatch.json (after the MSI made that folder
         safe), owned by Administrators with only the folder's inherited ACEs,
         and checked with `permwatch.exe validate`;
      5. the folder is removed; after a failure it is kept (admin-only) and
         named in the row, with the msiexec log in it.
    Then the service's state and `permwatch.exe status --json` are read on
    the node. A failing node becomes a row with the error; the script goes on
    to the next node.
    At the end, `permwatch.exe check --cluster` runs on the first node that
    installed well and its table is printed: for every group, is every node
    that may own it running PermWatch with the group's checkpointed keys
    compliant (each service publishes its summary to the cluster database
    within seconds of its start; the script waits 15 s for them).

    NOT RUN: written on the Linux build machines, where PowerShell, the
    FailoverClusters module and a cluster do not exist (docs/testing.md says
    what was checked instead). Review it and try it on a test cluster before
    production.

.PARAMETER ConfigPath
    Optional config to place at %ProgramData%\PermWatch\permwatch.json on each
    node. The MSI never overwrites an existing config; with this parameter the
    given one replaces it (the service picks up the change within 2 s).

.EXAMPLE
    .\Deploy-PermWatch.ps1 -MsiPath .\permwatch.msi -Cluster EXCL01 -WhatIf
#>
[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
param(
    [Parameter(Mandatory)] [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })]
    [string] $MsiPath,
    [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })]
    [string] $ConfigPath,
    [string] $Cluster = '.'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'   # inside each node's try: an error ends that node only

$msiName = Split-Path -Leaf $MsiPath
$msiHash = (Get-FileHash -LiteralPath $MsiPath -Algorithm SHA256).Hash
$configHash = if ($ConfigPath) { (Get-FileHash -LiteralPath $ConfigPath -Algorithm SHA256).Hash } else { $null }

# Runs on the node: creates %SystemRoot%\Temp\PermWatch-<random> with the
# admin-only DACL in the same call that creates it (no moment with Temp's
# inherited ACEs), and returns its path.
$newStagingFolder = {
    $name = 'PermWatch-' + [guid]::NewGuid().ToString('N')
    $path = Join-Path (Join-Path $env:SystemRoot 'Temp') $name
    if (Test-Path -LiteralPath $path) { throw "staging folder $path already exists; refusing it" }
    $sddl = 'O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)'
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetSecurityDescriptorSddlForm($sddl)
    # Windows PowerShell 5.1 (.NET Framework): Directory.CreateDirectory(path, security);
    # PowerShell 7 (.NET): FileSystemAclExtensions.Create(DirectoryInfo, security).
    $create = [System.IO.Directory].GetMethod('CreateDirectory',
        [type[]] @([string], [System.Security.AccessControl.DirectorySecurity]))
    if ($create) {
        [void] $create.Invoke($null, @($path, $security))
    }
    else {
        [System.IO.FileSystemAclExtensions]::Create([System.IO.DirectoryInfo]::new($path), $security)
    }
    # CreateDirectory succeeds on an existing folder: make sure this one is
    # new, empty and carries exactly our descriptor.
    $acl = Get-Acl -LiteralPath $path
    if ($acl.Sddl -notmatch '^O:BA' -or -not $acl.AreAccessRulesProtected) {
        throw "staging folder $path did not get the admin-only DACL: $($acl.Sddl)"
    }
    if (@(Get-ChildItem -LiteralPath $path -Force).Count -ne 0) {
        throw "staging folder $path is not empty; refusing it"
    }
    $path
}

# Runs on the node: the SHA-256 of the copy there, compared with ours.
$checkHash = {
    param($file, $expected)
    $actual = (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash
    if ($actual -ne $expected) {
        throw "SHA-256 of $file on $env:COMPUTERNAME is $actual, expected $expected; not installed"
    }
}

$rows = foreach ($node in Get-ClusterNode -Cluster $Cluster) {
    $name = $node.Name
    $row = [pscustomobject]@{
        Node = $name; Installed = $false; ServiceState = $null; Version = $null
        Keys = $null; Compliant = $null; Error = $null
    }
    $session = $null
    $staging = $null
    try {
        $session = New-PSSession -ComputerName $name
        if ($PSCmdlet.ShouldProcess($name, "install $msiName (SHA-256 $msiHash)")) {
            $staging = Invoke-Command -Session $session -ScriptBlock $newStagingFolder
            $remoteMsi = "$staging\$msiName"
            Copy-Item -LiteralPath $MsiPath -Destination $remoteMsi -ToSession $session
            Invoke-Command -Session $session -ScriptBlock $checkHash -ArgumentList $remoteMsi, $msiHash
            if ($ConfigPath) {
                $remoteConfig = "$staging\permwatch.json"
                Copy-Item -LiteralPath $ConfigPath -Destination $remoteConfig -ToSession $session
                Invoke-Command -Session $session -ScriptBlock $checkHash -ArgumentList $remoteConfig, $configHash
            }
            # msiexec is a GUI-subsystem program: Start-Process -Wait gives its exit code.
            $code = Invoke-Command -Session $session -ArgumentList $remoteMsi, "$staging\install.log" -ScriptBlock {
                param($msi, $log)
                (Start-Process msiexec.exe -Wait -PassThru -ArgumentList `
                    "/i `"$msi`" /qn /norestart /l*v `"$log`"").ExitCode
            }
            if ($code -notin 0, 3010) {
                throw "msiexec exited with $code (log: $staging\install.log on $name)"
            }
            if ($ConfigPath) {
                # The MSI's custom action made %ProgramData%\PermWatch safe. The
                # config goes in owned by Administrators with the folder's
                # inherited ACEs only: the service refuses any other owner.
                Invoke-Command -Session $session -ArgumentList "$staging\permwatch.json" -ScriptBlock {
                    param($source)
                    $dest = Join-Path $env:ProgramData 'PermWatch\permwatch.json'
                    Copy-Item -LiteralPath $source -Destination $dest -Force
                    & icacls.exe $dest /reset | Out-Null
                    if ($LASTEXITCODE -ne 0) { throw "icacls /reset $dest exited with $LASTEXITCODE" }
                    & icacls.exe $dest /setowner '*S-1-5-32-544' | Out-Null
                    if ($LASTEXITCODE -ne 0) { throw "icacls /setowner $dest exited with $LASTEXITCODE" }
                    $exe = Join-Path $env:ProgramFiles 'PermWatch\permwatch.exe'
                    $out = & $exe validate --config $dest 2>&1
                    if ($LASTEXITCODE -ne 0) { throw "permwatch validate: $($out -join ' ')" }
                }
            }
            Invoke-Command -Session $session -ArgumentList $staging -ScriptBlock {
                param($folder)
                Remove-Item -LiteralPath $folder -Recurse -Force
            }
            $staging = $null
        }
        # State, whether or not we installed (-WhatIf still reports). Get-Service
        # runs on the node: PowerShell 7's Get-Service has no -ComputerName.
        $state = Invoke-Command -Session $session -ScriptBlock {
            $service = Get-Service -Name PermWatch -ErrorAction SilentlyContinue
            if (-not $service) { return $null }
            $exe = Join-Path $env:ProgramFiles 'PermWatch\permwatch.exe'
            $json = & $exe status --json 2>&1   # exit 4: service not reachable
            [pscustomobject]@{ State = [string]$service.Status; Exit = $LASTEXITCODE; Json = ($json -join "`n") }
        }
        $row.Installed = [bool]$state
        if ($state) {
            $row.ServiceState = $state.State
            if ($state.Exit -ne 0) { throw "permwatch status exited with $($state.Exit): $($state.Json)" }
            $s = $state.Json | ConvertFrom-Json
            $row.Version = $s.version
            $row.Keys = @($s.keys).Count
            $row.Compliant = -not (@($s.keys) | Where-Object { $_.state -notin 'compliant', 'repaired' })
        }
    }
    catch {
        $row.Error = $_.Exception.Message
        if ($staging) { $row.Error += " (staging folder kept: $staging)" }
    }
    finally {
        if ($session) { Remove-PSSession -Session $session }
    }
    $row
}

$rows | Format-Table -AutoSize -Property @('Node', 'Installed', 'ServiceState', 'Version', 'Keys', 'Compliant', 'Error')

# The pre-flight (issue 13): from one node, every node's published summary.
# A node whose service just started publishes within seconds; wait for it.
$from = @($rows | Where-Object { $_.Installed -and -not $_.Error }) | Select-Object -First 1
if ($from -and -not $WhatIfPreference) {
    Start-Sleep -Seconds 15
    $check = Invoke-Command -ComputerName $from.Node -ScriptBlock {
        $exe = Join-Path $env:ProgramFiles 'PermWatch\permwatch.exe'
        $out = & $exe check --cluster 2>&1   # 0 ready, 1 not ready, 2 error, 4 no cluster
        [pscustomobject]@{ Exit = $LASTEXITCODE; Text = ($out -join "`n") }
    }
    Write-Output "permwatch check --cluster on $($from.Node) (exit $($check.Exit)):"
    Write-Output $check.Text
}
